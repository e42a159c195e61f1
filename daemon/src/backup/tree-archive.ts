// A folder of a snapshot as a tar stream (the UI's "download folder"): entries in tree order,
// file content streamed chunk by chunk (each chunk verified by the tree reader), hard links
// of one snapshot as tar hard links, sockets left out (tar cannot hold them).

import { Readable } from 'node:stream';
import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import { MAX_TREE_DEPTH, type TreeEntry } from '../../../core/src/objects/tree.js';
import { END_OF_ARCHIVE, contentPadding, tarHeader } from '../../../core/src/archive/tar-header.js';
import { tarEntryOf } from '../../../core/src/archive/tree-entry-tar.js';
import type { TreeReader } from './tree-reader.js';

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
        yield tarHeader({ ...tarEntryOf(e, path, 'hardlink'), linkTarget: first, size: 0 });
        return;
      }
      hardlinks.set(e.hardlink, path);
    }
    if (e.type === 'dir') {
      yield tarHeader(tarEntryOf(e, `${path}/`, 'dir'));
      if (e.subtree) yield* directory(e.subtree, path, depth + 1);
      return;
    }
    yield tarHeader(tarEntryOf(e, path, e.type));
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
