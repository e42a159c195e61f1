// Trees and lists finish one by one as their directories complete; asking `has` for each
// alone would cost a round trip per directory (profiles showed the main thread busy
// building thousands of tiny requests). This collects them and puts them in batches: when
// a batch is full, or FLUSH_MS after its first object (nothing waits for a tree before the
// commit, which drains everything).

import type { ObjectKind } from '../../../core/src/objects/kinds.js';
import type { PendingObject, Uploader } from './uploader.js';

const MAX_BATCH_OBJECTS = 4096;
const MAX_BATCH_BYTES = 16 << 20;
const FLUSH_MS = 100;

export class BatchingUploader {
  private batch: PendingObject[] = [];
  private batchBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(private readonly uploader: Uploader) {}

  add(kind: ObjectKind, digest: Buffer, raw: Uint8Array): void {
    this.batch.push({ kind, digest, raw });
    this.batchBytes += raw.length;
    if (this.batch.length >= MAX_BATCH_OBJECTS || this.batchBytes >= MAX_BATCH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    this.chain = this.chain.then(() => this.uploader.put(batch)).catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  /** Waits for every batch; throws the first upload error. */
  async drain(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.failure) throw this.failure;
  }
}
