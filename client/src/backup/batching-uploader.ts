// Trees and lists finish one by one as their directories complete; asking `has` for each
// alone would cost a round trip per directory. This collects them and puts them in batches
// (when a batch is full, or once the current burst of work has run: setImmediate).

import type { ObjectKind } from '../../../core/src/objects/kinds.js';
import type { PendingObject, Uploader } from './uploader.js';

const MAX_BATCH_OBJECTS = 4096;
const MAX_BATCH_BYTES = 16 << 20;

export class BatchingUploader {
  private batch: PendingObject[] = [];
  private batchBytes = 0;
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(private readonly uploader: Uploader) {}

  add(kind: ObjectKind, digest: Buffer, raw: Uint8Array): void {
    this.batch.push({ kind, digest, raw });
    this.batchBytes += raw.length;
    if (this.batch.length >= MAX_BATCH_OBJECTS || this.batchBytes >= MAX_BATCH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
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
