// Page-aligned memory for O_DIRECT I/O, which needs buffers aligned to the device's logical
// block (a malloc'd Buffer is not, and its writes fail with EINVAL). A WebAssembly.Memory's
// buffer starts on a page boundary, so it serves without a native allocator.

// Node provides WebAssembly at run time; the TypeScript libs in use do not declare it.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum?: number }) => { buffer: ArrayBuffer } };

/** The block size direct I/O is aligned to here: the page, a multiple of any logical block. */
export const DIRECT_BLOCK = 4096;
const WASM_PAGE = 65536;

/** A zero-filled, page-aligned buffer of `bytes` bytes. */
export function alignedBuffer(bytes: number): Buffer {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  return Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer, 0, bytes);
}

export function alignDown(n: number): number {
  return n - (n % DIRECT_BLOCK);
}

export function alignUp(n: number): number {
  return alignDown(n + DIRECT_BLOCK - 1);
}
