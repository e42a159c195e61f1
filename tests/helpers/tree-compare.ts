// Describes a directory tree exactly (type, mode, ownership, ns mtime, size, content hash,
// xattrs, symlink target, device number, hard-link groups, allocated blocks) so a restore
// can be compared with its source.

import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { PosixOps } from '../../client/src/fs/posix-ops.js';

export interface Described {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: string;
  size: number;
  sha?: string;
  target?: string;
  rdev?: number;
  xattrs: string;
  /** Other paths that are the same inode, sorted (hard links). */
  links: string[];
  blocks: number;
}

const TYPES = new Map<bigint, string>([
  [0o100000n, 'file'], [0o040000n, 'dir'], [0o120000n, 'symlink'], [0o010000n, 'fifo'],
  [0o020000n, 'chardev'], [0o060000n, 'blockdev'], [0o140000n, 'socket'],
]);

function typeOf(mode: bigint): string {
  return TYPES.get(mode & 0o170000n) ?? 'unknown';
}

export async function describeTree(root: string, posix: PosixOps): Promise<Map<string, Described>> {
  const out = new Map<string, Described>();
  const inodes = new Map<string, string[]>();
  const visit = async (dir: Buffer, rel: string): Promise<void> => {
    for (const raw of readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const name = raw.toString('latin1');
      const p = Buffer.concat([dir, Buffer.from('/'), raw]);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(p, { bigint: true });
      const type = typeOf(st.mode);
      const d: Described = {
        type, mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), mtimeNs: String(st.mtimeNs),
        size: type === 'file' ? Number(st.size) : 0, links: [], blocks: Number(st.blocks),
        xattrs: (await posix.readXattrs(p)).map(([k, v]) => `${k}=${v.toString('hex')}`).sort().join(','),
      };
      if (type === 'file') d.sha = createHash('sha256').update(readFileSync(p)).digest('hex');
      if (type === 'symlink') d.target = readlinkSync(p, { encoding: 'buffer' }).toString('hex');
      if (type === 'chardev' || type === 'blockdev') d.rdev = Number(st.rdev);
      if (type !== 'dir' && st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        inodes.set(key, [...(inodes.get(key) ?? []), r]);
        (d as { inode?: string }).inode = key;
      }
      out.set(r, d);
      if (type === 'dir') await visit(p, r);
    }
  };
  await visit(Buffer.from(root), '');
  for (const d of out.values()) {
    const key = (d as { inode?: string }).inode;
    if (key) {
      d.links = (inodes.get(key) ?? []).slice().sort();
      delete (d as { inode?: string }).inode;
    }
  }
  return out;
}
