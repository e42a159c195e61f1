// List objects: the chunk list of a large file. Level 0 lists chunk digests; level n>0
// lists digests of level n-1 lists, so a file of any size is a bounded tree of objects
// (65536 digests = 2 MiB per list; two levels cover 4 PiB at 1 MiB chunks).

import { DIGEST_BYTES } from './kinds.js';
import { MsgpackError, asArray, asBytes, asSafeInt, decode, encode, isMap } from './msgpack.js';
import { sha256 } from './digest.js';

export const LIST_VERSION = 1;
export const MAX_LIST_ITEMS = 65536;

export interface ListObject {
  level: number;
  items: Uint8Array[];
}

export function encodeList(list: ListObject): Uint8Array {
  return encode({ v: LIST_VERSION, lvl: list.level, i: list.items });
}

export function decodeList(bytes: Uint8Array): ListObject {
  const v = decode(bytes);
  if (!isMap(v) || v.v !== LIST_VERSION) throw new MsgpackError('not a version 1 list');
  const level = asSafeInt(v.lvl, 'lvl');
  if (level < 0 || level > 4) throw new MsgpackError(`list level ${level} out of range`);
  const items = asArray(v.i, 'i').map((d, j) => asBytes(d, `i[${j}]`, DIGEST_BYTES));
  if (items.length === 0 || items.length > MAX_LIST_ITEMS) throw new MsgpackError(`list with ${items.length} items`);
  return { level, items };
}

/**
 * Builds the list objects for a chunk sequence. Returns the objects to store in
 * dependency order (children before parents); the last one is the root list.
 */
export function buildListObjects(chunks: Uint8Array[]): Uint8Array[] {
  const objects: Uint8Array[] = [];
  let level = 0;
  let items = chunks;
  for (;;) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < items.length; i += MAX_LIST_ITEMS) {
      const obj = encodeList({ level, items: items.slice(i, i + MAX_LIST_ITEMS) });
      objects.push(obj);
      next.push(sha256(obj));
    }
    if (next.length === 1) return objects;
    items = next;
    level++;
  }
}
