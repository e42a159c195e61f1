// A small pool of worker threads that take jobs in order and answer each (content workers
// for backups, writers for restores). The pool keeps a few jobs queued per worker so none
// idles, spreads jobs to the least busy, and turns a worker's fatal error into a rejection
// of everything still waiting.

import { Worker, type ResourceLimits } from 'node:worker_threads';
import { HavenError, isErrorCode } from '../../../core/src/errors.js';
import type { PoolMessage, PoolRequest } from './worker-protocol.js';

interface Slot<F> {
  worker: Worker;
  inFlight: number;
  finished?: (summary: F) => void;
}

export class WorkerPool<J, R, F> {
  private readonly slots: Array<Slot<F>> = [];
  private readonly waiting = new Map<number, { resolve: (r: R) => void; reject: (e: Error) => void }>();
  private readonly finishing = new Set<{ reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  private wakeUp: (() => void) | null = null;

  /**
   * Workers start with the first job: a backup where every file is unchanged starts none
   * (each costs tens of milliseconds of start-up).
   */
  constructor(
    private readonly script: URL, private readonly count: number, private readonly workerData: unknown, private readonly queuedPerWorker = 3,
    private readonly resourceLimits: ResourceLimits = {},
  ) {}

  private start(): void {
    const { script, count, workerData, resourceLimits } = this;
    for (let i = 0; i < count; i++) {
      // Restore workers write through descriptors the addon opens beneath the target (openat),
      // which Node's per-worker descriptor tracking does not know of: it printed a warning to
      // stderr for every file a worker closed. The pool ends with the command, so no descriptor
      // outlives the process either way.
      const worker = new Worker(script, { workerData, trackUnmanagedFds: false, resourceLimits });
      const slot: Slot<F> = { worker, inFlight: 0 };
      worker.on('message', (msg: PoolMessage<R, F>) => this.onMessage(slot, msg));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`worker exited with ${code}`));
      });
      this.slots.push(slot);
    }
  }

  private onMessage(slot: Slot<F>, msg: PoolMessage<R, F>): void {
    if (msg.type === 'done') {
      slot.inFlight--;
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      w?.resolve(msg.result);
      const wake = this.wakeUp;
      this.wakeUp = null;
      wake?.();
    } else if (msg.type === 'finished') {
      slot.finished?.(msg.summary);
    } else {
      this.fail(isErrorCode(msg.code) ? HavenError.received(msg.code, msg.message) : new Error(msg.message));
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    for (const f of this.finishing) f.reject(err);
    this.finishing.clear();
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }

  /** Whether some worker has no job at all (also before the first job starts the workers). */
  get someIdle(): boolean {
    return this.slots.length === 0 || this.slots.some((s) => s.inFlight === 0);
  }

  /** Resolves when some worker has room for another job. */
  async ready(): Promise<void> {
    if (this.slots.length === 0) return;
    while (!this.failure && this.slots.every((s) => s.inFlight >= this.queuedPerWorker)) {
      await new Promise<void>((r) => (this.wakeUp = r));
    }
    if (this.failure) throw this.failure;
  }

  submit(job: J): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.slots.length === 0) this.start();
    const slot = this.slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    slot.inFlight++;
    const msg: PoolRequest<J> = { type: 'job', id, job };
    slot.worker.postMessage(msg);
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  /** Asks every worker to finish (end streams, flush) and collects their summaries. */
  async finish(): Promise<F[]> {
    if (this.failure) throw this.failure;
    return Promise.all(this.slots.map((slot) => new Promise<F>((resolve, reject) => {
      const waiter = { reject };
      this.finishing.add(waiter);
      slot.finished = (summary) => {
        this.finishing.delete(waiter);
        resolve(summary);
      };
      const msg: PoolRequest<J> = { type: 'finish' };
      slot.worker.postMessage(msg);
    })));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
