// The messages between a WorkerPool and its workers, and the worker side's loop.

import { parentPort } from 'node:worker_threads';
import { HavenError } from '../../../core/src/errors.js';

export type PoolRequest<J> = { type: 'job'; id: number; job: J } | { type: 'finish' };
export type PoolMessage<R, F> =
  | { type: 'done'; id: number; result: R }
  | { type: 'finished'; summary: F }
  | { type: 'fatal'; code: string; message: string };

/**
 * Runs in a worker: handles jobs one at a time, in order. A thrown error is fatal for the
 * whole pool (per-item problems belong in the result).
 */
export function serveJobs<J, R, F>(handle: (job: J) => Promise<R>, finish: () => Promise<F>): void {
  const port = parentPort;
  if (!port) throw new Error('serveJobs must run in a worker thread');
  let queue: Promise<void> = Promise.resolve();
  const post = (msg: PoolMessage<R, F>): void => port.postMessage(msg);
  port.on('message', (msg: PoolRequest<J>) => {
    queue = queue
      .then(async () => {
        if (msg.type === 'job') post({ type: 'done', id: msg.id, result: await handle(msg.job) });
        else post({ type: 'finished', summary: await finish() });
      })
      .catch((err: unknown) => {
        const e = err as Error & { code?: unknown };
        const code = e instanceof HavenError ? e.code : typeof e.code === 'string' ? e.code : 'INTERNAL';
        post({ type: 'fatal', code, message: e.message ?? String(err) });
      });
  });
}
