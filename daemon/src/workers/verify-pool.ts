// The verification pool: piscina threads running verify-worker.ts. Callers hand over an
// arena (transferred, so it is unusable until the result gives it back).

import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { VerifyResult, VerifyTask } from './verify-task.js';

export interface VerifyPool {
  verify(task: VerifyTask): Promise<VerifyResult>;
  readonly threads: number;
  close(): Promise<void>;
}

export function createVerifyPool(threads = 0): VerifyPool {
  const n = threads > 0 ? threads : availableParallelism();
  const pool = new Piscina({
    filename: new URL('./verify-worker.js', import.meta.url).href,
    minThreads: n,
    maxThreads: n,
    // Batches are a few MiB; queueing a handful per thread keeps threads busy without
    // holding unbounded memory (ingest streams apply their own backpressure too).
    maxQueue: n * 16,
    idleTimeout: 60_000,
  });
  return {
    threads: n,
    verify: (task) =>
      pool.run(task, { transferList: [task.arena] }) as Promise<VerifyResult>,
    close: () => pool.destroy(),
  };
}
