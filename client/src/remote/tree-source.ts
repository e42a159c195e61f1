// Directory listings of a snapshot, fetched from the appliance, verified, decoded (the
// decoder refuses names with '/', '..' or NUL) and cached. Split directories are joined
// back from their parts.

import { MsgpackError } from '../../../core/src/objects/msgpack.js';
import { decodeTree, type TreeEntry, type TreeObject } from '../../../core/src/objects/tree.js';
import { decodeList } from '../../../core/src/objects/list.js';
import { digestKey as key, toHex } from '../../../core/src/objects/digest.js';
import { HavenError } from '../../../core/src/errors.js';
import type { ObjectFetcher } from './object-fetcher.js';

export function decodeOrThrow<T>(digest: Uint8Array, kind: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof MsgpackError || err instanceof RangeError) {
      throw new HavenError('OBJECT_UNDECODABLE', { digest: toHex(digest), kind, detail: err.message });
    }
    throw err;
  }
}

export class TreeSource {
  private readonly objects = new Map<string, TreeObject>();

  constructor(readonly fetcher: ObjectFetcher) {}

  /** Loads tree objects not yet cached, in batched requests. */
  async load(digests: readonly Uint8Array[]): Promise<void> {
    const missing = [...new Map(digests.filter((d) => !this.objects.has(key(d))).map((d) => [key(d), d])).values()];
    await this.fetcher.many(missing, (i, raw) => {
      const d = missing[i] as Uint8Array;
      this.objects.set(key(d), decodeOrThrow(d, 'tree', () => decodeTree(raw)));
    });
    // parts of split directories
    const parts = missing.flatMap((d) => {
      const t = this.objects.get(key(d));
      return t && 'parts' in t ? t.parts : [];
    });
    if (parts.length > 0) await this.load(parts);
  }

  /** The entries of a directory's tree, in name order (parts joined). */
  async entries(digest: Uint8Array): Promise<TreeEntry[]> {
    await this.load([digest]);
    const t = this.objects.get(key(digest)) as TreeObject;
    if ('entries' in t) return t.entries;
    const out: TreeEntry[] = [];
    for (const p of t.parts) {
      const part = this.objects.get(key(p));
      if (!part || !('entries' in part)) throw new HavenError('OBJECT_UNDECODABLE', { digest: toHex(p), kind: 'tree', detail: 'a part of a split tree is itself split' });
      out.push(...part.entries);
    }
    return out;
  }

  /**
   * Loads every tree below `root`, one level at a time, thousands of trees per request
   * (a directory-by-directory walk would cost a round trip per directory).
   */
  async loadAll(root: Uint8Array): Promise<void> {
    let level: Uint8Array[] = [root];
    while (level.length > 0) {
      await this.load(level);
      const next: Uint8Array[] = [];
      for (const d of level) for (const e of await this.entries(d)) if (e.subtree) next.push(e.subtree);
      level = next;
    }
  }

  /** Loads the subtrees of these entries ahead of use (one request for many directories). */
  async prefetchChildren(entries: readonly TreeEntry[]): Promise<void> {
    await this.load(entries.flatMap((e) => (e.subtree ? [e.subtree] : [])));
  }

  /** The entry at `components` below `root` (null when absent); [] is the root itself. */
  async lookup(root: Uint8Array, components: readonly string[]): Promise<{ entry: TreeEntry | null; tree: Uint8Array | null }> {
    let tree: Uint8Array = root;
    let entry: TreeEntry | null = null;
    for (const c of components) {
      const found = (await this.entries(tree)).find((e) => e.name === c);
      if (!found) return { entry: null, tree: null };
      entry = found;
      if (!found.subtree) return components[components.length - 1] === c ? { entry, tree: null } : { entry: null, tree: null };
      tree = found.subtree;
    }
    return { entry, tree };
  }

  /** A large file's chunk digests, resolving its list objects (levels). */
  async listChunks(list: Uint8Array): Promise<Uint8Array[]> {
    let level: Uint8Array[] = [list];
    for (let depth = 0; depth < 6; depth++) {
      const lists: Array<{ level: number; items: Uint8Array[] }> = [];
      await this.fetcher.many(level, (i, raw) => {
        lists[i] = decodeOrThrow(level[i] as Uint8Array, 'list', () => decodeList(raw));
      });
      const lvl = lists[0]?.level ?? 0;
      if (lists.some((l) => l.level !== lvl)) throw new HavenError('OBJECT_UNDECODABLE', { digest: toHex(list), kind: 'list', detail: 'mixed list levels' });
      const items = lists.flatMap((l) => l.items);
      if (lvl === 0) return items;
      level = items;
    }
    throw new HavenError('OBJECT_UNDECODABLE', { digest: toHex(list), kind: 'list', detail: 'list nesting too deep' });
  }
}
