// Reading snapshots back: directory listings (joining split trees), path lookup, and a
// file's content as a stream of verified chunks (UI downloads and `content` requests).

import { Readable } from 'node:stream';
import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { decodeList } from '../../../core/src/objects/list.js';
import { joinParts } from '../../../core/src/objects/split-tree.js';
import { decodeOrThrow } from '../../../core/src/objects/undecodable.js';
import { decodeTree, type TreeEntry, type TreeObject } from '../../../core/src/objects/tree.js';
import { scanTreeTotals, type TreeTotals } from '../../../core/src/objects/tree-refs.js';
import type { ObjectSource } from '../store/reachability.js';

export class TreeReader {
  constructor(private readonly store: ObjectSource) {}

  /** All entries of a directory, in name order, whether or not its tree is split. */
  async entries(tree: Uint8Array): Promise<TreeEntry[]> {
    // A tree stored before commits checked everything is answered with a typed error, not a 500.
    const decoded = await this.tree(tree);
    if ('entries' in decoded) return decoded.entries;
    const parts: TreeObject[] = [];
    for (const part of decoded.parts) parts.push(await this.tree(part));
    return decodeOrThrow(tree, 'tree', () => joinParts(parts));
  }

  /**
   * What a directory's own entries add up to (its parts' totals when it is split), read without
   * decoding names and metadata (tree-refs.ts): a snapshot's size sums them over its trees.
   */
  async totals(tree: Uint8Array): Promise<TreeTotals[]> {
    const top = await this.scanTotals(tree);
    if (top.parts === null) return [top];
    const parts: TreeTotals[] = [];
    for (const part of top.parts) {
      const t = await this.scanTotals(part);
      // joinParts refuses a part that is split itself: so does this
      if (t.parts !== null) throw new HavenError('OBJECT_UNDECODABLE', { digest: toHex(part), kind: 'tree', detail: 'a part of a split tree is split itself' });
      parts.push(t);
    }
    return parts;
  }

  private async scanTotals(digest: Uint8Array): Promise<TreeTotals> {
    const raw = await this.store.readObject(digest, ObjectKind.tree);
    return decodeOrThrow(digest, 'tree', () => scanTreeTotals(raw));
  }

  private async tree(digest: Uint8Array): Promise<TreeObject> {
    const raw = await this.store.readObject(digest, ObjectKind.tree);
    return decodeOrThrow(digest, 'tree', () => decodeTree(raw));
  }

  /** The entry at `path` ('/'-separated, relative to the root); the root itself is null. */
  async lookup(root: Uint8Array, path: string, snapshotId: string): Promise<{ entry: TreeEntry | null; tree: Uint8Array }> {
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    let tree = root;
    let entry: TreeEntry | null = null;
    for (let i = 0; i < parts.length; i++) {
      const found = (await this.entries(tree)).find((e) => e.name === parts[i]);
      if (!found) throw new HavenError('PATH_NOT_FOUND', { path, id: snapshotId });
      entry = found;
      if (i < parts.length - 1) {
        if (!found.subtree) throw new HavenError('PATH_NOT_FOUND', { path, id: snapshotId });
        tree = found.subtree;
      } else if (found.subtree) tree = found.subtree;
    }
    return { entry, tree };
  }

  /** A file's chunk digests in order, expanding list objects. */
  async *chunks(entry: TreeEntry): AsyncGenerator<Uint8Array> {
    if (entry.data) yield* entry.data;
    if (entry.list) yield* this.listItems(entry.list);
  }

  private async *listItems(digest: Uint8Array): AsyncGenerator<Uint8Array> {
    const list = decodeList(await this.store.readObject(digest, ObjectKind.list));
    for (const item of list.items) {
      if (list.level === 0) yield item;
      else yield* this.listItems(item);
    }
  }

  /** The file's content, chunk by chunk, each verified against its digest. */
  content(entry: TreeEntry): Readable {
    const chunks = this.chunks(entry);
    const store = this.store;
    return Readable.from(
      (async function* () {
        for await (const d of chunks) {
          const loc = store.locate(d);
          if (!loc || loc.kind !== ObjectKind.data) throw new HavenError('OBJECT_NOT_FOUND', { digest: toHex(d) });
          yield await store.readObject(d, ObjectKind.data);
        }
      })(),
      { objectMode: false },
    );
  }
}
