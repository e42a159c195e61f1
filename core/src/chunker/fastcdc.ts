// FastCDC "fastcdc-gear32-v1" (docs/FORMAT.md, "Chunking"): the reference implementation.
// The native addon (native/src/chunker.cc) implements the same cut-point search over the
// same gear table; tests/chunker holds the two to identical cut points. Changing anything
// here changes chunk boundaries and breaks dedup with existing backups: version it instead.

import type { ChunkerParams } from '../api/backup.js';
import { CHUNKER_ALGORITHM } from '../api/wire-constants.js';
import { sha256 } from '../objects/digest.js';
import type { FastCdcBinding } from '../native/addon.js';

/** Domain separation for the gear table derivation. */
export const GEAR_LABEL = 'haven-fastcdc-gear32-v1';
/** Normalization level: the mask before avgSize has NC more bits than log2(avgSize), the one after NC fewer. */
export const NORMALIZATION = 2;

export interface FastCdcSetup {
  gear: Uint32Array;
  minSize: number;
  avgSize: number;
  maxSize: number;
  maskS: number;
  maskL: number;
}

/** gear[i] = the first 4 bytes (big-endian) of SHA-256(GEAR_LABEL || seed || byte i). */
export function gearTable(seed: Uint8Array): Uint32Array {
  const label = Buffer.from(GEAR_LABEL, 'ascii');
  const gear = new Uint32Array(256);
  for (let i = 0; i < 256; i++) gear[i] = sha256(label, seed, Uint8Array.of(i)).readUInt32BE(0);
  return gear;
}

/** A 32-bit mask of the `bits` most significant bits: those depend on the last 32 bytes hashed. */
export function topBitsMask(bits: number): number {
  return bits <= 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Checks the datastore's parameters and derives what the cut-point search needs. */
export function fastcdcSetup(p: ChunkerParams): FastCdcSetup {
  if (p.algorithm !== CHUNKER_ALGORITHM) throw new RangeError(`unknown chunker algorithm ${String(p.algorithm)}`);
  if (!/^[0-9a-f]{64}$/.test(p.seed)) throw new RangeError('chunker seed must be 32 bytes of hex');
  const bits = Math.log2(p.avgSize);
  if (!Number.isInteger(bits) || bits < 8 || bits + NORMALIZATION > 30) throw new RangeError(`avgSize ${p.avgSize} must be a power of two from 256 to 256 MiB`);
  if (!(p.minSize >= 64 && p.minSize < p.avgSize && p.avgSize < p.maxSize && p.maxSize <= 64 * 1024 * 1024)) {
    throw new RangeError(`chunk sizes must satisfy 64 <= min < avg < max <= 64 MiB (got ${p.minSize}/${p.avgSize}/${p.maxSize})`);
  }
  return {
    gear: gearTable(Buffer.from(p.seed, 'hex')),
    minSize: p.minSize,
    avgSize: p.avgSize,
    maxSize: p.maxSize,
    maskS: topBitsMask(bits + NORMALIZATION),
    maskL: topBitsMask(bits - NORMALIZATION),
  };
}

/** The cut-point search in TypeScript: the fallback when the addon is missing, and the reference. */
export class TsFastCdc implements FastCdcBinding {
  private readonly gear: Int32Array;

  constructor(private readonly s: FastCdcSetup) {
    // Int32 lanes keep the hash in small-integer arithmetic (| 0 wraps like uint32 in C).
    this.gear = new Int32Array(s.gear.buffer.slice(0));
  }

  cut(buf: Uint8Array, start: number, end: number): number {
    const { minSize, avgSize, maxSize } = this.s;
    const n = end - start;
    if (n <= minSize) return n;
    const limit = start + Math.min(n, maxSize);
    const normal = start + Math.min(avgSize, n, maxSize);
    const gear = this.gear;
    const maskS = this.s.maskS | 0;
    const maskL = this.s.maskL | 0;
    let h = 0;
    let i = start + minSize;
    for (; i < normal; i++) {
      h = ((h << 1) + (gear[buf[i] as number] as number)) | 0;
      if ((h & maskS) === 0) return i + 1 - start;
    }
    for (; i < limit; i++) {
      h = ((h << 1) + (gear[buf[i] as number] as number)) | 0;
      if ((h & maskL) === 0) return i + 1 - start;
    }
    return limit - start;
  }
}
