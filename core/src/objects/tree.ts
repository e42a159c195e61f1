// Tree objects: one directory, encoded deterministically so that an unchanged directory
// yields the same digest in every backup and dedupes like data (FORMAT.md, "tree").
//
// A directory with very many entries is split into part trees at content-defined
// boundaries (a hash of the entry name), so adding one file to a directory of a million
// files rewrites one part, not the whole listing; no object grows without bound.

import { sha256 } from './digest.js';
import { DIGEST_BYTES } from './kinds.js';
import {
  MsgpackError, asArray, asBigInt, asBytes, asSafeInt, asString, decode, encode, isMap,
  type MsgMap, type MsgValue,
} from './msgpack.js';

export const ENTRY_TYPES = ['file', 'dir', 'symlink', 'fifo', 'chardev', 'blockdev', 'socket'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export interface TreeEntry {
  /** One path component; never empty, '.', '..', and never containing '/' or NUL. */
  name: string;
  /** The exact name bytes when they are not valid UTF-8 (`name` is then a lossy rendering). */
  rawName?: Uint8Array;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Content length for files, 0 otherwise. */
  size: number;
  /** Device number of character and block devices. */
  rdev?: number;
  /** Entries of one snapshot with the same value are hard links to one inode. */
  hardlink?: number;
  /** Extended attributes, sorted by name. */
  xattrs?: Array<[string, Uint8Array]>;
  /** Symlink target; `rawTarget` holds the bytes when they are not valid UTF-8. */
  target?: string;
  rawTarget?: Uint8Array;
  /** File content: chunk digests in order, or the digest of a `list` object for large files. */
  data?: Uint8Array[];
  list?: Uint8Array;
  /** Directory content: the digest of its tree. */
  subtree?: Uint8Array;
}

export type TreeObject = { entries: TreeEntry[] } | { parts: Uint8Array[] };

export const TREE_VERSION = 1;
/**
 * Directories nest at most this deep below a snapshot's root. Deeper paths cannot be named
 * in one system call anyway (PATH_MAX is 4096 bytes), and every reader walks by depth: a
 * bound turns a hostile 10,000-deep snapshot into a typed error instead of a stack overflow.
 */
export const MAX_TREE_DEPTH = 1024;
/** Files with more chunks than this keep them in a `list` object instead of inline. */
export const MAX_INLINE_CHUNKS = 64;
const PART_MIN_ENTRIES = 256;
const PART_MAX_ENTRIES = 16384;
const PART_MAX_BYTES = 4 * 1024 * 1024;
const MAX_PARTS = 65536;

const encoder = new TextEncoder();

export function nameBytes(e: Pick<TreeEntry, 'name' | 'rawName'>): Uint8Array {
  return e.rawName ?? encoder.encode(e.name);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Names of ASCII without NUL (most of them) are checked and ordered as strings, without encoding. */
const NOT_ASCII = /[^\x01-\x7f]/;

function plainName(e: Pick<TreeEntry, 'name' | 'rawName'>): boolean {
  return e.rawName === undefined && !NOT_ASCII.test(e.name);
}

/** validName for an entry: an ASCII name's bytes are its characters, so the string is checked directly. */
function validEntryName(e: Pick<TreeEntry, 'name' | 'rawName'>): boolean {
  if (!plainName(e)) return validName(nameBytes(e));
  const n = e.name;
  return n.length > 0 && n.length <= 4096 && n !== '.' && n !== '..' && !n.includes('/');
}

/** compareBytes of two entries' names; ASCII strings compare in byte order already. */
export function compareNames(a: Pick<TreeEntry, 'name' | 'rawName'>, b: Pick<TreeEntry, 'name' | 'rawName'>): number {
  if (plainName(a) && plainName(b)) return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return compareBytes(nameBytes(a), nameBytes(b));
}

/**
 * Whether `shown` is what the client stores beside raw bytes that are not UTF-8: their lossy
 * rendering. Anything else would let `ls` show one path while restore writes another.
 */
function rendersAs(raw: Uint8Array, shown: string): boolean {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8') === shown;
}

export function validName(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.length > 4096) return false;
  if (bytes.length === 1 && bytes[0] === 0x2e) return false;
  if (bytes.length === 2 && bytes[0] === 0x2e && bytes[1] === 0x2e) return false;
  for (const b of bytes) if (b === 0x2f || b === 0) return false;
  return true;
}

function entryToMsg(e: TreeEntry): MsgMap {
  // Field order is part of the format; absent optionals are omitted, never null.
  return {
    n: e.name,
    nb: e.rawName,
    t: ENTRY_TYPES.indexOf(e.type) + 1,
    m: e.mode,
    u: e.uid,
    g: e.gid,
    mt: e.mtimeNs,
    ct: e.ctimeNs,
    s: e.size,
    r: e.rdev,
    h: e.hardlink,
    x: e.xattrs?.map(([k, v]) => [k, v]),
    l: e.target,
    lb: e.rawTarget,
    d: e.data,
    L: e.list,
    T: e.subtree,
  };
}

function msgToEntry(v: MsgValue | undefined, i: number): TreeEntry {
  const at = `entry ${i}`;
  if (!isMap(v)) throw new MsgpackError(`${at}: expected a map`);
  const typeIndex = asSafeInt(v.t, `${at}.t`);
  const type = ENTRY_TYPES[typeIndex - 1];
  if (type === undefined) throw new MsgpackError(`${at}: unknown entry type ${typeIndex}`);
  const e: TreeEntry = {
    name: asString(v.n, `${at}.n`),
    type,
    mode: asSafeInt(v.m, `${at}.m`),
    uid: asSafeInt(v.u, `${at}.u`),
    gid: asSafeInt(v.g, `${at}.g`),
    mtimeNs: asBigInt(v.mt, `${at}.mt`),
    ctimeNs: asBigInt(v.ct, `${at}.ct`),
    size: asSafeInt(v.s, `${at}.s`),
  };
  if (v.nb !== undefined) e.rawName = asBytes(v.nb, `${at}.nb`);
  if (!validEntryName(e)) throw new MsgpackError(`${at}: invalid name ${JSON.stringify(e.name)}`);
  if (e.rawName !== undefined && !rendersAs(e.rawName, e.name)) throw new MsgpackError(`${at}: display name does not match the name bytes`);
  if (v.r !== undefined) e.rdev = asSafeInt(v.r, `${at}.r`);
  if (v.h !== undefined) e.hardlink = asSafeInt(v.h, `${at}.h`);
  if (v.x !== undefined) {
    e.xattrs = asArray(v.x, `${at}.x`).map((pair, j) => {
      const p = asArray(pair, `${at}.x[${j}]`);
      return [asString(p[0], `${at}.x[${j}].name`), asBytes(p[1], `${at}.x[${j}].value`)];
    });
  }
  if (v.l !== undefined) e.target = asString(v.l, `${at}.l`);
  if (v.lb !== undefined) {
    e.rawTarget = asBytes(v.lb, `${at}.lb`);
    if (e.target === undefined || !rendersAs(e.rawTarget, e.target)) throw new MsgpackError(`${at}: display target does not match the target bytes`);
  }
  if (v.d !== undefined) {
    const data = asArray(v.d, `${at}.d`);
    if (data.length > MAX_INLINE_CHUNKS) throw new MsgpackError(`${at}: ${data.length} inline chunks (at most ${MAX_INLINE_CHUNKS}; more go to a list)`);
    e.data = data.map((d, j) => asBytes(d, `${at}.d[${j}]`, DIGEST_BYTES));
  }
  if (v.L !== undefined) e.list = asBytes(v.L, `${at}.L`, DIGEST_BYTES);
  if (v.T !== undefined) e.subtree = asBytes(v.T, `${at}.T`, DIGEST_BYTES);
  if (e.type === 'dir' && e.subtree === undefined) throw new MsgpackError(`${at}: directory without subtree`);
  if (e.type === 'file' && e.data !== undefined && e.list !== undefined) throw new MsgpackError(`${at}: both data and list`);
  return e;
}

export function sortEntries(entries: TreeEntry[]): TreeEntry[] {
  return entries.slice().sort(compareNames);
}

export function encodeTree(tree: TreeObject): Uint8Array {
  if ('parts' in tree) return encode({ v: TREE_VERSION, p: tree.parts });
  return encode({ v: TREE_VERSION, e: tree.entries.map(entryToMsg) });
}

export function decodeTree(bytes: Uint8Array): TreeObject {
  const v = decode(bytes);
  if (!isMap(v) || v.v !== TREE_VERSION) throw new MsgpackError('not a version 1 tree');
  if (v.p !== undefined) {
    const parts = asArray(v.p, 'p').map((d, i) => asBytes(d, `p[${i}]`, DIGEST_BYTES));
    if (parts.length === 0 || parts.length > MAX_PARTS) throw new MsgpackError(`tree with ${parts.length} parts`);
    return { parts };
  }
  const entries = asArray(v.e, 'e').map(msgToEntry);
  for (let i = 1; i < entries.length; i++) {
    if (compareNames(entries[i - 1] as TreeEntry, entries[i] as TreeEntry) >= 0) {
      throw new MsgpackError(`entries not strictly sorted at ${i}`);
    }
  }
  return { entries };
}

/** Digests an entry points at directly (chunks, list, subtree). */
export function entryReferences(e: TreeEntry): Uint8Array[] {
  const refs: Uint8Array[] = [];
  if (e.data) refs.push(...e.data);
  if (e.list) refs.push(e.list);
  if (e.subtree) refs.push(e.subtree);
  return refs;
}

export function treeReferences(tree: TreeObject): Uint8Array[] {
  if ('parts' in tree) return tree.parts.slice();
  return tree.entries.flatMap(entryReferences);
}

/**
 * Encodes a directory listing (entries must be sorted) as one tree object, or as part
 * objects plus a top object listing them. Returns every object to store; the last one is
 * the directory's tree.
 */
export function buildTreeObjects(sorted: TreeEntry[]): Uint8Array[] {
  const single = sorted.length <= PART_MAX_ENTRIES ? encodeTree({ entries: sorted }) : null;
  if (single !== null && single.length <= PART_MAX_BYTES) return [single];
  const objects: Uint8Array[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as TreeEntry;
    bytes += encode(entryToMsg(e)).length;
    const count = i - start + 1;
    const h = sha256(nameBytes(e));
    const boundary = count >= PART_MIN_ENTRIES && ((h[0] as number) << 4 | (h[1] as number) >> 4) === 0;
    if (boundary || count >= PART_MAX_ENTRIES || bytes >= PART_MAX_BYTES || i === sorted.length - 1) {
      objects.push(encodeTree({ entries: sorted.slice(start, i + 1) }));
      start = i + 1;
      bytes = 0;
    }
  }
  if (objects.length > MAX_PARTS) throw new RangeError(`directory too large: ${objects.length} parts`);
  objects.push(encodeTree({ parts: objects.map((o) => sha256(o)) }));
  return objects;
}
