// Compaction's record moves, packed: a digest (32 bytes) and four numbers (from and to: segment
// and offset) per record, 48 bytes in all, where an object per record with its own buffers
// cost several times that (a 64 MiB segment of small records holds ~760,000).
//
// The index switch applies them in digest order (byDigest): the moves of a segment are in
// random digest order, and switched as they come each one dirtied an index page of its own, so
// a transaction of 100,000 moves wrote ~100,000 pages (and held them in memory) on a
// 10-million-object index. In digest order, each transaction covers a run of neighbouring
// pages and a pass over the index writes each page about once.

import { grown } from '../../../core/src/bytes/grown.js';

const INITIAL = 4096;
const FIELDS = 4;
/** Bits of a move's number in its sort key (a key is a double: 24 bits of digest above them). */
const ID_BITS = 29;

export class MoveList {
  private digests = Buffer.allocUnsafe(INITIAL * 32);
  private fields = new Uint32Array(INITIAL * FIELDS);
  private n = 0;

  get length(): number {
    return this.n;
  }

  /** Adds a move from `segment` at `offset`; its target is set by `placed`. Answers its number. */
  push(digest: Uint8Array, segment: number, offset: number): number {
    if (this.n === this.fields.length / FIELDS) {
      this.digests = grown(this.digests);
      this.fields = grown(this.fields);
    }
    if (this.n >= 2 ** ID_BITS) throw new Error('too many moves in one list');
    this.digests.set(digest.subarray(0, 32), this.n * 32);
    this.fields[this.n * FIELDS] = segment;
    this.fields[this.n * FIELDS + 1] = offset;
    return this.n++;
  }

  /** Where move `i`'s copy was appended. */
  placed(i: number, segment: number, offset: number): void {
    this.fields[i * FIELDS + 2] = segment;
    this.fields[i * FIELDS + 3] = offset;
  }

  /** Move `i`'s digest, a view into the list (valid until the list grows or is cleared). */
  digest(i: number): Buffer {
    return this.digests.subarray(i * 32, i * 32 + 32);
  }

  fromSegment(i: number): number {
    return this.fields[i * FIELDS] as number;
  }

  fromOffset(i: number): number {
    return this.fields[i * FIELDS + 1] as number;
  }

  toSegment(i: number): number {
    return this.fields[i * FIELDS + 2] as number;
  }

  toOffset(i: number): number {
    return this.fields[i * FIELDS + 3] as number;
  }

  /**
   * Move numbers ordered by the first 24 bits of their digests: enough for locality in the
   * index (digests sharing 24 bits are neighbours there anyway), and a numeric typed-array
   * sort instead of millions of buffer comparisons.
   */
  byDigest(): Uint32Array {
    const keys = new Float64Array(this.n);
    const d = this.digests;
    for (let i = 0; i < this.n; i++) {
      const prefix = ((d[i * 32] as number) << 16) | ((d[i * 32 + 1] as number) << 8) | (d[i * 32 + 2] as number);
      keys[i] = prefix * 2 ** ID_BITS + i;
    }
    keys.sort();
    const order = new Uint32Array(this.n);
    const mask = 2 ** ID_BITS;
    for (let i = 0; i < this.n; i++) order[i] = (keys[i] as number) % mask;
    return order;
  }

  clear(): void {
    this.n = 0;
  }
}
