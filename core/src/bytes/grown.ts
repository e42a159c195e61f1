// Packed lists (digests 32 bytes apiece, numbers in typed arrays) grow by doubling: one place
// for the copy, where the collector's lists each wrote it out again.

type Packed = Buffer | Uint32Array | Float64Array;

/** A copy of `a` in a new array of the same kind, twice as long or `atLeast`, whichever is more. */
export function grown<T extends Packed>(a: T, atLeast = 0): T {
  const size = Math.max(a.length * 2, atLeast);
  const b = Buffer.isBuffer(a) ? Buffer.allocUnsafe(size) : new (a.constructor as new (n: number) => Exclude<Packed, Buffer>)(size);
  (b as Uint8Array).set(a as Uint8Array);
  return b as T;
}
