// A growing list of digests packed 32 bytes apiece, each with a small number (a record's
// size). A million condemned objects as an array of Buffers cost over 100 MiB of heap (each
// Buffer object weighs several times its 32 bytes); packed they cost 36 MiB.

import { grown } from '../../../core/src/bytes/grown.js';

const INITIAL = 4096;

export class DigestList {
  private packed: Buffer;
  private sizes: Uint32Array;
  private n = 0;

  /** `expected`: how many are likely (room for them from the start: growing copies the list). */
  constructor(expected = INITIAL) {
    const room = Math.max(1, expected);
    this.packed = Buffer.allocUnsafe(room * 32);
    this.sizes = new Uint32Array(room);
  }

  get length(): number {
    return this.n;
  }

  push(digest: Uint8Array, size = 0): void {
    if (this.n === this.sizes.length) {
      this.packed = grown(this.packed);
      this.sizes = grown(this.sizes);
    }
    this.packed.set(digest.subarray(0, 32), this.n * 32);
    this.sizes[this.n] = size;
    this.n++;
  }

  /** The i-th digest, a view into the list (copy it to keep it past the list). */
  at(i: number): Buffer {
    return this.packed.subarray(i * 32, i * 32 + 32);
  }

  sizeAt(i: number): number {
    return this.sizes[i] as number;
  }

  /** Digests [from, to) as views. */
  slice(from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = from; i < Math.min(to, this.n); i++) out.push(this.at(i));
    return out;
  }
}
