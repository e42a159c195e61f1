// zlib's CRC-32, the segment records' checksum (DESIGN section 2). The addon folds it with
// carry-less multiplication at ~14 GB/s here; node:zlib's portable code runs at ~6 GB/s,
// which was 0.17 CPU-s of every ingested GiB. Both give the same values (tests/native).

import { crc32 as zlibCrc32 } from 'node:zlib';
import { addonOrFallback } from '../native/addon.js';

const addon = addonOrFallback();

/** CRC-32 of `data`, continuing from `value` (0 to start), unsigned. */
export const crc32: (data: Uint8Array, value?: number) => number = addon?.crc32Accelerated
  ? addon.crc32
  : (data, value = 0) => zlibCrc32(data, value) >>> 0;
