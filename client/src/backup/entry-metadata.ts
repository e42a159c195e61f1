// Turns lstat results into tree entries (FORMAT.md, "tree"): type, permission bits,
// ownership, nanosecond times, size, device numbers, hard-link identity, symlink targets.

import { readlinkSync, type BigIntStats } from 'node:fs';
import { sha256 } from '../../../core/src/objects/digest.js';
import type { EntryType, TreeEntry } from '../../../core/src/objects/tree.js';
import type { NativePath } from '../../../core/src/native/addon.js';
import { utf8OrNull, type DirName } from '../fs/names.js';

const S_IFMT = 0o170000n;
const TYPES = new Map<bigint, EntryType>([
  [0o100000n, 'file'], [0o040000n, 'dir'], [0o120000n, 'symlink'], [0o010000n, 'fifo'],
  [0o020000n, 'chardev'], [0o060000n, 'blockdev'], [0o140000n, 'socket'],
]);

export function entryType(st: BigIntStats): EntryType {
  const t = TYPES.get(st.mode & S_IFMT);
  if (!t) throw new Error(`unknown file type ${(st.mode & S_IFMT).toString(8)}`);
  return t;
}

/**
 * Entries of one snapshot with the same id are one inode. Derived from (device, inode) so it
 * stays the same from one backup to the next and unchanged trees keep their digests.
 */
export function hardlinkId(st: BigIntStats): number {
  return sha256(Buffer.from(`${st.dev}:${st.ino}`)).readUIntBE(0, 6);
}

export function baseEntry(n: DirName, st: BigIntStats, type: EntryType): TreeEntry {
  const e: TreeEntry = {
    name: n.name,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    size: type === 'file' ? Number(st.size) : 0,
  };
  if (n.raw) e.rawName = n.raw;
  if (type === 'chardev' || type === 'blockdev') e.rdev = Number(st.rdev);
  if (type !== 'dir' && st.nlink > 1n) e.hardlink = hardlinkId(st);
  return e;
}

export function readTarget(path: NativePath, e: TreeEntry): void {
  const raw = readlinkSync(path, { encoding: 'buffer' });
  const text = utf8OrNull(raw);
  if (text === null) {
    e.target = raw.toString('utf8');
    e.rawTarget = raw;
  } else e.target = text;
}

/** Sorts by name bytes (the tree's order), computing each name's bytes once. */
export function sortByName(entries: TreeEntry[]): TreeEntry[] {
  const keyed = entries.map((e) => ({ e, k: e.rawName ? Buffer.from(e.rawName) : Buffer.from(e.name) }));
  keyed.sort((a, b) => Buffer.compare(a.k, b.k));
  return keyed.map((x) => x.e);
}
