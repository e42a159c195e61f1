// Decides cheaply whether a chunk is worth compressing whole. Much of a typical tree is
// compressed already (packages, downloads, archives, media), and zstd at the store's level
// costs as much on such a chunk as on text, only to be thrown away when it saves nothing.
// A probe of a few samples spread over the chunk, compressed at the fastest level, says so
// for about 2% of the price. Measured on the 1.5 GiB benchmark's 63k distinct chunks
// (docs/PERFORMANCE.md "Client round two"): the probe refused 178.2 of the 181 MiB that
// level 4 could not shrink by 1/32, and no chunk that level 4 would have shrunk, at any
// probe threshold from 0 to 1/8.

import type { Zstd } from '../../../core/src/compress/zstd.js';

/** Chunks smaller than this are compressed without a probe (the probe would be a large part of them). */
const PROBE_FROM = 64 << 10;
const SAMPLES = 4;
const SAMPLE_BYTES = 4096;
const PROBE_LEVEL = 1;

export class CompressionProbe {
  private readonly samples = Buffer.allocUnsafe(SAMPLES * SAMPLE_BYTES);

  constructor(private readonly zstd: Zstd, private readonly minSaving: number) {}

  /** False when the samples do not shrink by minSaving: the chunk is stored as it is. */
  worthCompressing(raw: Uint8Array): boolean {
    if (raw.length < PROBE_FROM) return true;
    for (let i = 0; i < SAMPLES; i++) {
      const at = Math.floor(((raw.length - SAMPLE_BYTES) * i) / (SAMPLES - 1));
      this.samples.set(raw.subarray(at, at + SAMPLE_BYTES), i * SAMPLE_BYTES);
    }
    return this.zstd.compressedLength(this.samples, PROBE_LEVEL) <= this.samples.length * (1 - this.minSaving);
  }
}
