// The objects a collection may condemn, as dense ids with a mark bit each. Ten million
// digests as a Set of strings would cost about a gigabyte; here each costs 8 bytes (the
// first 64 bits of its digest, in two Uint32Arrays) plus one mark bit, so the mark set of a
// 10-million-object datastore stays under 100 MiB.
//
// Digests are added in ascending order (the index's key order), so a lookup is a binary
// search. Two digests sharing their first 64 bits (about one chance in 10^7 among 10^7
// objects) share a mark: marking one keeps both, the safe side. Such a prefix is flagged
// ambiguous, and the marker then tracks the trees behind it by full digest, so sharing a mark
// never makes it skip walking a tree.

import { grown } from '../../../core/src/bytes/grown.js';

const INITIAL = 1 << 16;
/** Most bits of the first-level table (4 MiB of Uint32 at 20). */
const MAX_TABLE_BITS = 20;

export class CandidateSet {
  private hi: Uint32Array = new Uint32Array(INITIAL);
  private lo: Uint32Array = new Uint32Array(INITIAL);
  private n = 0;
  private marks = new Uint8Array(0);
  private ambiguous = new Uint8Array(0);
  private marked = 0;
  private sealed = false;
  /**
   * Where each value of a digest's top `tableBits` bits starts among the ids: a lookup then
   * searches a handful of ids, not all of them (a binary search over ten million ids missed
   * the cache at most of its 24 steps, for every reference of every tree marked).
   */
  private table = new Uint32Array(2);
  private tableBits = 0;

  get size(): number {
    return this.n;
  }

  get markedCount(): number {
    return this.marked;
  }

  /** Adds a digest larger than every digest added before. */
  add(digest: Uint8Array): void {
    if (this.n === this.hi.length) {
      this.hi = grown(this.hi);
      this.lo = grown(this.lo);
    }
    this.hi[this.n] = readU32(digest, 0);
    this.lo[this.n] = readU32(digest, 4);
    this.n++;
  }

  /** Ends adding: sizes the mark bits and flags shared prefixes. */
  seal(): void {
    this.hi = this.hi.slice(0, this.n);
    this.lo = this.lo.slice(0, this.n);
    this.marks = new Uint8Array((this.n + 7) >> 3);
    this.ambiguous = new Uint8Array((this.n + 7) >> 3);
    for (let i = 1; i < this.n; i++) {
      if (this.hi[i] === this.hi[i - 1] && this.lo[i] === this.lo[i - 1]) {
        setBit(this.ambiguous, i);
        setBit(this.ambiguous, i - 1);
      }
    }
    // about eight ids per slot
    this.tableBits = Math.min(MAX_TABLE_BITS, Math.max(1, Math.floor(Math.log2(Math.max(2, this.n))) - 3));
    const slots = 2 ** this.tableBits;
    this.table = new Uint32Array(slots + 1);
    const shift = 32 - this.tableBits;
    let id = 0;
    for (let slot = 0; slot <= slots; slot++) {
      while (id < this.n && (this.hi[id] as number) >>> shift < slot) id++;
      this.table[slot] = id;
    }
    this.sealed = true;
  }

  /** The first id whose prefix is the digest's, or -1 when the digest is no candidate. */
  indexOf(digest: Uint8Array): number {
    if (!this.sealed) throw new Error('candidate set used before seal()');
    const h = readU32(digest, 0);
    const l = readU32(digest, 4);
    const slot = h >>> (32 - this.tableBits);
    let a = this.table[slot] as number;
    let b = this.table[slot + 1] as number;
    while (a < b) {
      const m = (a + b) >>> 1;
      const mh = this.hi[m] as number;
      if (mh < h || (mh === h && (this.lo[m] as number) < l)) a = m + 1;
      else b = m;
    }
    return a < this.n && this.hi[a] === h && this.lo[a] === l ? a : -1;
  }

  isAmbiguous(id: number): boolean {
    return getBit(this.ambiguous, id);
  }

  isMarked(id: number): boolean {
    return getBit(this.marks, id);
  }

  /** Marks `id` and every id sharing its prefix; true when `id` was not marked before. */
  mark(id: number): boolean {
    const fresh = !getBit(this.marks, id);
    for (let i = id; i < this.n && this.hi[i] === this.hi[id] && this.lo[i] === this.lo[id]; i++) {
      if (!getBit(this.marks, i)) {
        setBit(this.marks, i);
        this.marked++;
      }
    }
    return fresh;
  }

  /** Whether the digest is a candidate that some walk marked. */
  isMarkedDigest(digest: Uint8Array): boolean {
    const id = this.indexOf(digest);
    return id >= 0 && this.isMarked(id);
  }
}

function readU32(d: Uint8Array, at: number): number {
  return (((d[at] as number) << 24) | ((d[at + 1] as number) << 16) | ((d[at + 2] as number) << 8) | (d[at + 3] as number)) >>> 0;
}

function getBit(bits: Uint8Array, i: number): boolean {
  return (((bits[i >> 3] as number) >> (i & 7)) & 1) === 1;
}

function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
}
