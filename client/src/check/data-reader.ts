// The --read-data half of `haven check`: distinct chunk digests are handed in as the walk
// finds them and go out in batches to reader threads (check-worker.ts), so the
// data is read and verified while the walk is still fetching trees and lists.

import type { ServerConnection } from '../api/http-transport.js';
import { WorkerPool } from '../workers/worker-pool.js';
import type { CheckJob, CheckJobResult, CheckWorkerData } from './check-messages.js';

export interface DataReaderOptions {
  connection: ServerConnection;
  snapshot: string;
  workers: number;
  /** Digests per request (at most the appliance's limit). */
  batch: number;
}

export class DataReader {
  private readonly pool: WorkerPool<CheckJob, CheckJobResult, null>;
  private readonly pending: Array<Promise<void>> = [];
  private current: Buffer;
  private filled = 0;
  bytes = 0;
  readonly problems: string[] = [];

  constructor(private readonly options: DataReaderOptions) {
    const data: CheckWorkerData = { connection: options.connection, snapshot: options.snapshot };
    this.pool = new WorkerPool(new URL('./check-worker.js', import.meta.url), options.workers, data, 2);
    this.current = Buffer.allocUnsafe(options.batch * 32);
  }

  /** Queues a chunk (the caller hands each digest once); waits while every reader has its fill of batches. */
  async add(digest: Uint8Array): Promise<void> {
    this.current.set(digest, this.filled * 32);
    if (++this.filled === this.options.batch) await this.submit();
  }

  private async submit(): Promise<void> {
    if (this.filled === 0) return;
    const digests = this.current.subarray(0, this.filled * 32);
    this.current = Buffer.allocUnsafe(this.options.batch * 32);
    this.filled = 0;
    await this.pool.ready();
    const answered = this.pool.submit({ digests }).then((r) => {
      this.bytes += r.bytes;
      this.problems.push(...r.problems);
    });
    // A failed reader fails the pool: the next ready() or finish() throws it; until then the
    // rejection is held here, not reported as unhandled.
    answered.catch(() => undefined);
    this.pending.push(answered);
  }

  /** Sends the last batch and waits for every answer. */
  async finish(): Promise<void> {
    await this.submit();
    await Promise.all(this.pending);
    await this.pool.finish();
  }

  /** Ends the reader threads (after finish, or when the walk failed). */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
