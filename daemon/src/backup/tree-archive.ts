// A folder of a snapshot as a tar stream (the UI's "download folder"): entries in tree order,
// file content streamed chunk by chunk (each chunk verified by the tree reader), hard links
// of one snapshot as tar hard links, sockets left out (tar cannot hold them).

import { Readable } from 'node:stream';
import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import { MAX_TREE_DEPTH, type TreeEntry } from '../../../core/src/objects/tree.js';
import { END_OF_ARCHIVE, contentPadding, tarHeader, type TarEntry, type TarType } from './tar-header.js';
import type { TreeReader } from './tree-reader.js';

/** Linux's dev_t layout (glibc gnu_dev_major/minor). */
function devParts(rdev: number): { devMajor: number; devMinor: number } {
  const d = BigInt(rdev);
  return {
    devMajor: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    devMinor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}

function tarEntry(e: TreeEntry, path: string, type: TarType): TarEntry {
  const t: TarEntry = { path, type, mode: e.mode, uid: e.uid, gid: e.gid, size: type === 'file' ? e.size : 0, mtimeNs: e.mtimeNs };
  if (e.target !== undefined) t.linkTarget = e.target;
  if ((e.type === 'chardev' || e.type === 'blockdev') && e.rdev !== undefined) Object.assign(t, devParts(e.rdev));
  if (e.xattrs) t.xattrs = e.xattrs;
  return t;
}

export interface ArchiveRoot {
  /** The entry archived (null: the snapshot's root directory). */
  entry: TreeEntry | null;
  /** Its tree when it is a directory. */
  tree: Uint8Array;
  /** The top-level name inside the archive. */
  name: string;
  /** Modification time of the top directory when it is the snapshot's root (which has no entry). */
  time: Date;
}

export function treeArchive(trees: TreeReader, root: ArchiveRoot): Readable {
  const hardlinks = new Map<number, string>();

  async function* entry(e: TreeEntry, path: string, depth: number): AsyncGenerator<Buffer> {
    if (e.type === 'socket') return;
    if (e.hardlink !== undefined && e.type !== 'dir') {
      const first = hardlinks.get(e.hardlink);
      if (first !== undefined) {
        yield tarHeader({ ...tarEntry(e, path, 'hardlink'), linkTarget: first, size: 0 });
        return;
      }
      hardlinks.set(e.hardlink, path);
    }
    if (e.type === 'dir') {
      yield tarHeader(tarEntry(e, `${path}/`, 'dir'));
      if (e.subtree) yield* directory(e.subtree, path, depth + 1);
      return;
    }
    yield tarHeader(tarEntry(e, path, e.type));
    if (e.type !== 'file') return;
    let sent = 0;
    for await (const chunk of trees.content(e)) {
      sent += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    // A short or long file would shift every later header: fail the download instead.
    if (sent !== e.size) throw new HavenError('STORE_CORRUPT', { detail: `${path}: content is ${sent} bytes, the tree says ${e.size}` });
    yield contentPadding(e.size);
  }

  async function* directory(tree: Uint8Array, path: string, depth: number): AsyncGenerator<Buffer> {
    // Commits refuse deeper snapshots; this guards the generators' nesting against older ones.
    if (depth > MAX_TREE_DEPTH) throw new HavenError('TREE_TOO_DEEP', { limit: MAX_TREE_DEPTH, digest: toHex(tree) });
    for (const child of await trees.entries(tree)) yield* entry(child, `${path}/${child.name}`, depth);
  }

  async function* archive(): AsyncGenerator<Buffer> {
    if (root.entry) yield* entry(root.entry, root.name, 0);
    else {
      yield tarHeader({ path: `${root.name}/`, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtimeNs: BigInt(root.time.getTime()) * 1_000_000n });
      yield* directory(root.tree, root.name, 0);
    }
    yield END_OF_ARCHIVE;
  }

  return Readable.from(archive(), { objectMode: false });
}
