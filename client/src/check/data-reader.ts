// The --read-data half of `haven check`: distinct chunk digests are handed in as the walk
// finds them and go out in batches to reader threads (check-worker.ts), so the
// data is read and verified while the walk is still fetching trees and lists.
//
// A batch goes out when it holds `batch` digests or about BATCH_BYTES of content, so a large
// file's chunks (~1 MiB each) are shared between the readers rather than 1,024 of them going
// to one; and as soon as the walk waits for trees while a reader has nothing to do: the
// first 1,024 small files lie many tree levels down, behind the large files at the top.

import type { ServerConnection } from '../api/http-transport.js';
import { WorkerPool } from '../workers/worker-pool.js';
import type { CheckJob, CheckJobResult, CheckWorkerData } from './check-messages.js';

/** Content bytes (as the walk estimates them) that close a batch before its count is reached. */
const BATCH_BYTES = 8 * 1024 * 1024;

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
  private filledBytes = 0;
  private flushScheduled = false;
  bytes = 0;
  readonly problems: string[] = [];

  constructor(private readonly options: DataReaderOptions) {
    const data: CheckWorkerData = { connection: options.connection, snapshot: options.snapshot };
    this.pool = new WorkerPool(new URL('./check-worker.js', import.meta.url), options.workers, data, 2);
    this.current = Buffer.allocUnsafe(options.batch * 32);
  }

  /**
   * Queues a chunk of about `bytes` of content (the caller hands each digest once); waits
   * while every reader has its fill of batches.
   */
  async add(digest: Uint8Array, bytes: number): Promise<void> {
    this.current.set(digest, this.filled * 32);
    this.filledBytes += bytes;
    if (++this.filled === this.options.batch || this.filledBytes >= BATCH_BYTES) await this.submit();
    else if (!this.flushScheduled && this.pool.someIdle) {
      // setImmediate runs once the walk waits for the network, not between its chunks.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (this.pool.someIdle) this.submit().catch(() => undefined); // a failed pool throws at the next add or finish
      });
    }
  }

  private async submit(): Promise<void> {
    if (this.filled === 0) return;
    const digests = this.current.subarray(0, this.filled * 32);
    this.current = Buffer.allocUnsafe(this.options.batch * 32);
    this.filled = 0;
    this.filledBytes = 0;
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
