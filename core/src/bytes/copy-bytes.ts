// Copying bytes into or out of the ingest arenas. They are SharedArrayBuffers, and V8 copies
// shared memory with relaxed atomic stores, byte by byte when source and target are not
// equally aligned (an upload's payloads start anywhere in a socket read): 3.5 GB/s here
// against 20-40 GB/s for memcpy. The addon's copyBytes is that memcpy; without the addon,
// TypedArray.prototype.set gives the same bytes, slower.

import { addonOrFallback } from '../native/addon.js';

const addon = addonOrFallback();

/** Copies all of `source` into `target` at `offset` (RangeError if it does not fit). */
export const copyBytes: (target: Uint8Array, offset: number, source: Uint8Array) => void = addon
  ? addon.copyBytes
  : (target, offset, source) => target.set(source, offset);
