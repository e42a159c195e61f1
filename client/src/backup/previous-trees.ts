// When the files cache is missing, the group's previous snapshot stands in for it: a file
// whose name, size, mtime and ctime match its entry in the previous snapshot keeps that
// entry's chunks without being read (DESIGN section 3), unless its ctime was too close to
// that snapshot's time to vouch for the content (settled.ts).

import type { TreeEntry } from '../../../core/src/objects/tree.js';
import type { TreeSource } from '../remote/tree-source.js';
import type { Settled } from './settled.js';

export class PreviousTrees {
  private readonly dirs = new Map<string, Promise<Map<string, TreeEntry> | null>>();

  /** `settled`: from the previous snapshot's time (its commit, later than any stat it holds). */
  constructor(private readonly trees: TreeSource, private readonly root: Uint8Array, private readonly settled: Settled) {}

  /** The previous snapshot's listing of the directory at `components` (null when it had none). */
  listing(components: readonly string[]): Promise<Map<string, TreeEntry> | null> {
    const key = components.join('\0');
    let p = this.dirs.get(key);
    if (!p) {
      p = this.load(components);
      this.dirs.set(key, p);
    }
    return p;
  }

  private async load(components: readonly string[]): Promise<Map<string, TreeEntry> | null> {
    const { tree } = components.length === 0 ? { tree: this.root } : await this.parentLookup(components);
    if (!tree) return null;
    const entries = await this.trees.entries(tree);
    // One request loads every subdirectory of this one, ahead of the walk reaching them.
    await this.trees.prefetchChildren(entries);
    return new Map(entries.map((e) => [e.name, e]));
  }

  private async parentLookup(components: readonly string[]): Promise<{ tree: Uint8Array | null }> {
    const parent = await this.listing(components.slice(0, -1));
    const e = parent?.get(components[components.length - 1] as string);
    return { tree: e?.subtree ?? null };
  }

  /** The previous entry's content when the file looks unchanged. */
  reusable(prev: TreeEntry | undefined, e: TreeEntry): Pick<TreeEntry, 'data' | 'list' | 'xattrs'> | null {
    if (!prev || prev.type !== 'file' || prev.size !== e.size || prev.mtimeNs !== e.mtimeNs || prev.ctimeNs !== e.ctimeNs) return null;
    if (!this.settled.file(prev.ctimeNs)) return null;
    // an unchanged ctime means unchanged xattrs too
    const x = prev.xattrs ? { xattrs: prev.xattrs } : {};
    if (prev.list) return { list: prev.list, ...x };
    return { data: prev.data ?? [], ...x };
  }
}
