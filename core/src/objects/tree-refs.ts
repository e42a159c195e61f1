// The references of a tree object (parts, or its entries' chunks, lists and subtrees) read
// straight from its msgpack bytes, skipping names and metadata without decoding them. Garbage
// collection marks through every live tree and needs nothing else: decoding whole entries
// (UTF-8 names, bigint times, one object per entry) was most of a mark's cost (a CPU profile of
// a collection on a million-object datastore: decodeTree 10.6 of 55 CPU-s).
//
// Conservative by construction: it accepts every tree decodeTree accepts and finds at least
// the references decodeTree finds (tests/core/tree-refs.test.ts holds it to that: the same
// ones, except that a tree with both parts and entries gives both); a tree it cannot read at all
// (truncated, not a map) is a MsgpackError, as from decodeTree. What decodeTree would refuse
// beyond that (unsorted names, an invalid mode) it does not check: a commit checked every tree
// with decodeTree before any snapshot could reach it.

import { DIGEST_BYTES } from './kinds.js';
import { MAX_DEPTH, MsgpackError, Reader as Cursor, int } from './msgpack.js';
import { TREE_VERSION } from './tree.js';

export interface TreeRefs {
  /** A split directory's part trees; null for a tree of entries. */
  parts: Uint8Array[] | null;
  /** Inline chunk digests of its files (views into the tree's bytes). */
  data: Uint8Array[];
  /** List objects of its large files (copies). */
  lists: Uint8Array[];
  /** Subdirectories' trees (copies). */
  subtrees: Uint8Array[];
}

/** Length of a map header at the cursor, or -1 (nothing consumed) if the value is no map. */
function mapLength(c: Cursor): number {
  c.need(1);
  const t = c.buf[c.pos] as number;
  if (t >= 0x80 && t <= 0x8f) { c.pos++; return t & 0x0f; }
  if (t === 0xde) { c.pos++; return c.u16(); }
  if (t === 0xdf) { c.pos++; return c.u32(); }
  return -1;
}

function arrayLength(c: Cursor, what: string): number {
  const t = c.u8();
  if (t >= 0x90 && t <= 0x9f) return t & 0x0f;
  if (t === 0xdc) return c.u16();
  if (t === 0xdd) return c.u32();
  throw new MsgpackError(`${what}: expected an array`);
}

/** A string key's bytes' position and length (any string header form). */
function keyAt(c: Cursor): { at: number; n: number } {
  const t = c.u8();
  let n: number;
  if (t >= 0xa0 && t <= 0xbf) n = t & 0x1f;
  else if (t === 0xd9) n = c.u8();
  else if (t === 0xda) n = c.u16();
  else if (t === 0xdb) n = c.u32();
  else throw new MsgpackError('map keys must be strings');
  const at = c.pos;
  c.skip(n);
  return { at, n };
}

function isKey(c: Cursor, k: { at: number; n: number }, ch: number): boolean {
  return k.n === 1 && c.buf[k.at] === ch;
}

/** A digest (bin of 32 bytes) at the cursor, as a view. */
function digestAt(c: Cursor, what: string): Uint8Array {
  const t = c.u8();
  const n = t === 0xc4 ? c.u8() : t === 0xc5 ? c.u16() : t === 0xc6 ? c.u32() : -1;
  if (n !== DIGEST_BYTES) throw new MsgpackError(`${what}: expected ${DIGEST_BYTES} bytes`);
  const at = c.pos;
  c.skip(n);
  return c.buf.subarray(at, at + n);
}

/** An integer at the cursor in any of its encodings, or NaN (the value skipped) for anything else. */
function intAt(c: Cursor): number {
  c.need(1);
  const t = c.buf[c.pos] as number;
  if (t < 0x80) { c.pos++; return t; }
  if (t >= 0xe0) { c.pos++; return t - 0x100; }
  switch (t) {
    case 0xcc: c.pos++; return c.u8();
    case 0xcd: c.pos++; return c.u16();
    case 0xce: c.pos++; return c.u32();
    case 0xd0: { c.pos++; const v = c.u8(); return v >= 0x80 ? v - 0x100 : v; }
    case 0xd1: { c.pos++; const v = c.u16(); return v >= 0x8000 ? v - 0x10000 : v; }
    case 0xd2: { c.pos++; const v = c.u32(); return v >= 0x80000000 ? v - 0x100000000 : v; }
    case 0xcf: case 0xd3: { c.pos++; const hi = c.u32(); const lo = c.u32(); return hi === 0 ? lo : Number.NaN; } // only small values matter here
    default: skip(c, 1); return Number.NaN; // not an integer: refuses the tree, as decodeTree does
  }
}

/** Steps over one value of any type without building it. */
function skip(c: Cursor, depth: number): void {
  if (depth > MAX_DEPTH) throw new MsgpackError('nesting too deep');
  const t = c.u8();
  if (t < 0x80 || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return;
  if (t <= 0x8f) { for (let i = (t & 0x0f) * 2; i > 0; i--) skip(c, depth + 1); return; }
  if (t <= 0x9f) { for (let i = t & 0x0f; i > 0; i--) skip(c, depth + 1); return; }
  if (t <= 0xbf) { c.skip(t & 0x1f); return; }
  switch (t) {
    case 0xc4: case 0xd9: c.skip(c.u8()); return;
    case 0xc5: case 0xda: c.skip(c.u16()); return;
    case 0xc6: case 0xdb: c.skip(c.u32()); return;
    case 0xcc: case 0xd0: c.skip(1); return;
    case 0xcd: case 0xd1: c.skip(2); return;
    case 0xce: case 0xd2: c.skip(4); return;
    case 0xcf: case 0xd3: c.skip(8); return;
    case 0xdc: { for (let i = c.u16(); i > 0; i--) skip(c, depth + 1); return; }
    case 0xdd: { for (let i = c.u32(); i > 0; i--) skip(c, depth + 1); return; }
    case 0xde: { for (let i = c.u16() * 2; i > 0; i--) skip(c, depth + 1); return; }
    case 0xdf: { for (let i = c.u32() * 2; i > 0; i--) skip(c, depth + 1); return; }
    default: throw new MsgpackError(`unsupported type byte 0x${t.toString(16)} at ${c.pos - 1}`);
  }
}

/** An integer at the cursor in any encoding, as decodeTree takes a size: a safe integer, or NaN. */
function sizeAt(c: Cursor): number {
  c.need(1);
  const t = c.buf[c.pos];
  if (t !== 0xcf && t !== 0xd3) return intAt(c);
  c.pos++;
  const v = int(t === 0xcf ? c.u64() : c.i64());
  return typeof v === 'number' ? v : Number.NaN;
}

const KEY_V = 0x76; // 'v'
const KEY_P = 0x70; // 'p'
const KEY_E = 0x65; // 'e'
const KEY_D = 0x64; // 'd'
const KEY_L = 0x4c; // 'L'
const KEY_T = 0x54; // 'T'
const KEY_TYPE = 0x74; // 't'
const KEY_SIZE = 0x73; // 's'
/** Entry type 'file' (ENTRY_TYPES in tree.ts, numbered from 1). */
const TYPE_FILE = 1;

function entryRefs(c: Cursor, i: number, out: TreeRefs): void {
  const fields = mapLength(c);
  if (fields < 0) throw new MsgpackError(`entry ${i}: expected a map`);
  for (let f = 0; f < fields; f++) {
    const k = keyAt(c);
    if (isKey(c, k, KEY_D)) {
      for (let j = arrayLength(c, `entry ${i}.d`); j > 0; j--) out.data.push(digestAt(c, `entry ${i}.d`));
    } else if (isKey(c, k, KEY_L)) out.lists.push(digestAt(c, `entry ${i}.L`).slice());
    else if (isKey(c, k, KEY_T)) out.subtrees.push(digestAt(c, `entry ${i}.T`).slice());
    else skip(c, 2);
  }
}

export function scanTreeRefs(bytes: Uint8Array): TreeRefs {
  const out: TreeRefs = { parts: null, data: [], lists: [], subtrees: [] };
  scanTree(bytes, out, (c, i) => entryRefs(c, i, out));
  return out;
}

/** What a directory's own entries add up to, read as scanTreeRefs reads references. */
export interface TreeTotals {
  /** A split directory's part trees; null for a tree of entries. */
  parts: Uint8Array[] | null;
  /** Its files (entries of type file without a subtree) and the sum of their sizes. */
  files: number;
  bytes: number;
  /** Subdirectories' trees (copies). */
  subtrees: Uint8Array[];
}

function entryTotals(c: Cursor, i: number, out: TreeTotals): void {
  const fields = mapLength(c);
  if (fields < 0) throw new MsgpackError(`entry ${i}: expected a map`);
  let type = Number.NaN;
  let size = Number.NaN;
  let subtree: Uint8Array | null = null;
  for (let f = 0; f < fields; f++) {
    const k = keyAt(c);
    if (isKey(c, k, KEY_TYPE)) type = intAt(c);
    else if (isKey(c, k, KEY_SIZE)) size = sizeAt(c);
    else if (isKey(c, k, KEY_T)) subtree = digestAt(c, `entry ${i}.T`).slice();
    else skip(c, 2);
  }
  // decodeTree refuses an entry without an integer size below 2^53
  if (Number.isNaN(size)) throw new MsgpackError(`entry ${i}.s: expected an integer below 2^53`);
  if (subtree !== null) out.subtrees.push(subtree);
  else if (type === TYPE_FILE) {
    out.files++;
    out.bytes += size;
  }
}

/**
 * The totals of a tree's own entries: a snapshot's logical size is their sum over its trees.
 * Reads as much as scanTreeRefs checks, plus each entry's size; a commit checked the rest.
 */
export function scanTreeTotals(bytes: Uint8Array): TreeTotals {
  const out: TreeTotals = { parts: null, files: 0, bytes: 0, subtrees: [] };
  scanTree(bytes, out, (c, i) => entryTotals(c, i, out));
  return out;
}

/** The version, the parts (into out.parts) and every entry (to `entry`) of a tree's bytes. */
function scanTree(bytes: Uint8Array, out: { parts: Uint8Array[] | null }, entry: (c: Cursor, i: number) => void): void {
  const c = new Cursor(bytes);
  const fields = mapLength(c);
  if (fields < 0) throw new MsgpackError('not a version 1 tree');
  let version = false;
  let entries = false;
  for (let f = 0; f < fields; f++) {
    const k = keyAt(c);
    if (isKey(c, k, KEY_V)) {
      version = intAt(c) === TREE_VERSION;
    } else if (isKey(c, k, KEY_P)) {
      out.parts = [];
      for (let j = arrayLength(c, 'p'); j > 0; j--) out.parts.push(digestAt(c, 'p').slice());
    } else if (isKey(c, k, KEY_E)) {
      entries = true;
      const n = arrayLength(c, 'e');
      for (let i = 0; i < n; i++) entry(c, i);
    } else skip(c, 1);
  }
  if (!version) throw new MsgpackError('not a version 1 tree');
  if (c.pos !== bytes.length) throw new MsgpackError(`${bytes.length - c.pos} trailing bytes`);
  if (out.parts === null && !entries) throw new MsgpackError('e: expected an array');
}
