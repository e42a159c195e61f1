// Turns lstat results into tree entries (FORMAT.md, "tree"): type, permission bits,
// ownership, nanosecond times, size, device numbers, hard-link identity, symlink targets.

import { readlinkSync } from 'node:fs';
import { sha256 } from '../../../core/src/objects/digest.js';
import type { EntryType, TreeEntry } from '../../../core/src/objects/tree.js';
import type { NativePath } from '../../../core/src/native/addon.js';
import { utf8OrNull } from '../fs/names.js';
import type { ScannedEntry } from '../fs/dir-scan.js';

const S_IFMT = 0o170000;
const TYPES = new Map<number, EntryType>([
  [0o100000, 'file'], [0o040000, 'dir'], [0o120000, 'symlink'], [0o010000, 'fifo'],
  [0o020000, 'chardev'], [0o060000, 'blockdev'], [0o140000, 'socket'],
]);

export function entryType(mode: number): EntryType {
  const t = TYPES.get(mode & S_IFMT);
  if (!t) throw new Error(`unknown file type ${(mode & S_IFMT).toString(8)}`);
  return t;
}

/**
 * Entries of one snapshot with the same id are one inode. Derived from (device, inode) so it
 * stays the same from one backup to the next and unchanged trees keep their digests.
 */
export function hardlinkId(inode: Buffer): number {
  return sha256(inode).readUIntBE(0, 6);
}

export function baseEntry(s: ScannedEntry, type: EntryType, inode: () => Buffer): TreeEntry {
  const e: TreeEntry = {
    name: s.name.name,
    type,
    mode: s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
    size: type === 'file' ? s.size : 0,
  };
  if (s.name.raw) e.rawName = s.name.raw;
  if (type === 'chardev' || type === 'blockdev') e.rdev = s.rdev;
  if (type !== 'dir' && s.nlink > 1) e.hardlink = hardlinkId(inode());
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
  if (entries.length < 2) return entries;
  const keyed = entries.map((e) => ({ e, k: e.rawName ? Buffer.from(e.rawName) : Buffer.from(e.name) }));
  keyed.sort((a, b) => Buffer.compare(a.k, b.k));
  return keyed.map((x) => x.e);
}
