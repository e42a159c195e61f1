// After a short writev: what is left of the buffers, so the caller writes the rest (and a
// full file system then answers with its real error instead of a silent short write).

/** The part of `buffers` beyond the first `written` bytes. */
export function unwritten<T extends Uint8Array>(buffers: readonly T[], written: number): T[] {
  const rest: T[] = [];
  let skip = written;
  for (const b of buffers) {
    if (skip >= b.length) skip -= b.length;
    else {
      rest.push(skip > 0 ? (b.subarray(skip) as T) : b);
      skip = 0;
    }
  }
  return rest;
}
