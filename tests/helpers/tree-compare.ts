// Describes a directory tree exactly (type, mode, ownership, ns mtime, size, content hash,
// xattrs, symlink target, device number, hard-link groups, allocated blocks) so a restore
// can be compared with its source.

import assert from 'node:assert/strict';
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
  /** With the `ctime` option. */
  ctimeNs?: string;
}

export interface DescribeOptions {
  /** Also each entry's ctime: a chmod, chown or xattr write shows even when it put the same value back. */
  ctime?: boolean;
  /** Also the directory itself, as the path ''. */
  self?: boolean;
}

const TYPES = new Map<bigint, string>([
  [0o100000n, 'file'], [0o040000n, 'dir'], [0o120000n, 'symlink'], [0o010000n, 'fifo'],
  [0o020000n, 'chardev'], [0o060000n, 'blockdev'], [0o140000n, 'socket'],
]);

function typeOf(mode: bigint): string {
  return TYPES.get(mode & 0o170000n) ?? 'unknown';
}

async function describeOne(p: Buffer, posix: PosixOps, o: DescribeOptions): Promise<{ d: Described; hardLinkedInode: string | null }> {
  const st = lstatSync(p, { bigint: true });
  const type = typeOf(st.mode);
  const d: Described = {
    type, mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), mtimeNs: String(st.mtimeNs),
    size: type === 'file' ? Number(st.size) : 0, links: [], blocks: Number(st.blocks),
    xattrs: (await posix.readXattrs(p)).map(([k, v]) => `${k}=${v.toString('hex')}`).sort().join(','),
  };
  if (o.ctime) d.ctimeNs = String(st.ctimeNs);
  if (type === 'file') d.sha = createHash('sha256').update(readFileSync(p)).digest('hex');
  if (type === 'symlink') d.target = readlinkSync(p, { encoding: 'buffer' }).toString('hex');
  if (type === 'chardev' || type === 'blockdev') d.rdev = Number(st.rdev);
  return { d, hardLinkedInode: type !== 'dir' && st.nlink > 1n ? `${st.dev}:${st.ino}` : null };
}

export async function describeTree(root: string, posix: PosixOps, o: DescribeOptions = {}): Promise<Map<string, Described>> {
  const out = new Map<string, Described>();
  const inodes = new Map<string, string[]>();
  if (o.self) out.set('', (await describeOne(Buffer.from(root), posix, o)).d);
  const visit = async (dir: Buffer, rel: string): Promise<void> => {
    for (const raw of readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const name = raw.toString('latin1');
      const p = Buffer.concat([dir, Buffer.from('/'), raw]);
      const r = rel === '' ? name : `${rel}/${name}`;
      const { d, hardLinkedInode: inode } = await describeOne(p, posix, o);
      if (inode !== null) {
        inodes.set(inode, [...(inodes.get(inode) ?? []), r]);
        (d as { inode?: string }).inode = inode;
      }
      out.set(r, d);
      if (d.type === 'dir') await visit(p, r);
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

/** Asserts that `after` (a restore) has exactly the entries of `before` (its source); allocated blocks may differ. */
export function assertSameTree(after: Map<string, Described>, before: Map<string, Described>, what: string): void {
  assert.deepEqual([...after.keys()], [...before.keys()], `${what}: the same entries`);
  for (const [path, source] of before) {
    const { blocks: _a, ...restored } = after.get(path) as Described;
    const { blocks: _b, ...expected } = source;
    assert.deepEqual(restored, expected, `${what}: ${path} restores exactly`);
  }
}
