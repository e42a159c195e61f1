// A snapshot's tree entry as a tar entry: what the appliance's "download folder" and the
// client's `haven dump` of a directory both write (tar-header.ts encodes it).

import type { TreeEntry } from '../objects/tree.js';
import type { TarEntry, TarType } from './tar-header.js';

/** Linux's dev_t layout (glibc gnu_dev_major/minor). */
function devParts(rdev: number): { devMajor: number; devMinor: number } {
  const d = BigInt(rdev);
  return {
    devMajor: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    devMinor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}

/** The tar entry of `e` at `path`, as `type` (a later hard link of an inode is written as 'hardlink'). */
export function tarEntryOf(e: TreeEntry, path: string, type: TarType): TarEntry {
  const t: TarEntry = { path, type, mode: e.mode, uid: e.uid, gid: e.gid, size: type === 'file' ? e.size : 0, mtimeNs: e.mtimeNs };
  if (e.target !== undefined) t.linkTarget = e.target;
  if ((e.type === 'chardev' || e.type === 'blockdev') && e.rdev !== undefined) Object.assign(t, devParts(e.rdev));
  if (e.xattrs) t.xattrs = e.xattrs;
  return t;
}
