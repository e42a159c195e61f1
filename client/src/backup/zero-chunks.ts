// All-zero chunks (holes of sparse files, zeroed regions of disk images) are recognised by
// a memcmp instead of hashed, and restores skip writing them, which leaves holes again.

import { sha256 } from '../../../core/src/objects/digest.js';

export class ZeroChunks {
  private readonly zeros: Buffer;
  private readonly digests = new Map<number, Buffer>();

  constructor(maxSize: number) {
    this.zeros = Buffer.alloc(maxSize);
  }

  /** The digest of `chunk` when it is all zeros, else null. */
  digestIfZero(chunk: Uint8Array): Buffer | null {
    if (chunk.length === 0 || chunk.length > this.zeros.length) return null;
    if (chunk[0] !== 0 || chunk[chunk.length - 1] !== 0) return null;
    if (Buffer.compare(chunk, this.zeros.subarray(0, chunk.length)) !== 0) return null;
    return this.digestOf(chunk.length);
  }

  /** `length` zero bytes (at most maxSize), never written to: what an all-zero chunk uploads. */
  bytes(length: number): Buffer {
    return this.zeros.subarray(0, length);
  }

  digestOf(length: number): Buffer {
    let d = this.digests.get(length);
    if (!d) {
      d = sha256(this.zeros.subarray(0, length));
      this.digests.set(length, d);
    }
    return d;
  }

  /** Whether `digest` is that of `length` zero bytes. */
  isZero(digest: Uint8Array, length: number): boolean {
    return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).equals(this.digestOf(length));
  }
}
