// Directory listings of a snapshot, fetched from the appliance, verified, decoded (the
// decoder refuses names with '/', '..' or NUL) and cached. Split directories are joined
// back from their parts, which must form one namespace (core/src/objects/split-tree.ts).
// Whatever the server sends, walks cost at most the budget (walk-budget.ts): trees are
// cached by digest and never expanded per path, and list levels are counted before they
// are fetched.

import { joinParts } from '../../../core/src/objects/split-tree.js';
import { decodeOrThrow } from '../../../core/src/objects/undecodable.js';
import { decodeTree, type TreeEntry, type TreeObject } from '../../../core/src/objects/tree.js';
import { scanTreeTotals } from '../../../core/src/objects/tree-refs.js';
import { decodeList, type ListObject } from '../../../core/src/objects/list.js';
import { digestKey as key, toHex } from '../../../core/src/objects/digest.js';
import { HavenError } from '../../../core/src/errors.js';
import type { ObjectFetcher } from './object-fetcher.js';
import { WalkBudget } from './walk-budget.js';

/** A fetched tree kept as its bytes, with its parts and subtrees read from them (tree-refs.ts). */
function keptTree(digest: Uint8Array, bytes: Uint8Array): KeptTree {
  const { parts, subtrees } = decodeOrThrow(digest, 'tree', () => scanTreeTotals(bytes));
  return { bytes, parts, subtrees };
}

/** Distinct digests, in order of first appearance. */
function unique(digests: Iterable<Uint8Array>): Uint8Array[] {
  const byKey = new Map<string, Uint8Array>();
  for (const d of digests) if (!byKey.has(key(d))) byKey.set(key(d), d);
  return [...byKey.values()];
}

/**
 * A tree kept as its verified bytes (TreeSource's `decodeOnUse`): what a walk needs before it
 * decodes the tree (its parts and subtrees, read from the bytes), and the bytes themselves.
 */
interface KeptTree {
  bytes: Uint8Array;
  parts: Uint8Array[] | null;
  subtrees: Uint8Array[];
}

export interface TreeSourceOptions {
  /**
   * Keep each tree as its bytes and decode it at every `entries()` call, instead of keeping
   * it decoded: for passes over a whole snapshot (check; a restore's plan, then its files).
   * Decoded, a million entries held ~490 MiB for the whole check; as bytes, ~100 MiB, and
   * each directory's entries live while the walk is in it. A tree that does not decode is then refused when it is used, not when
   * it is loaded (the same OBJECT_UNDECODABLE).
   */
  decodeOnUse?: boolean;
}

export class TreeSource {
  private readonly objects = new Map<string, TreeObject | KeptTree>();
  /** Joined entries of split directories. */
  private readonly joined = new Map<string, TreeEntry[]>();
  /** A loadAll under way that walks run behind (loadAllBehind), and the wake-up of its next level. */
  private behind: { all: Promise<void>; level: Promise<void>; wake: () => void } | null = null;
  private readonly decodeOnUse: boolean;

  constructor(readonly fetcher: ObjectFetcher, readonly budget: WalkBudget = new WalkBudget(), options: TreeSourceOptions = {}) {
    this.decodeOnUse = options.decodeOnUse ?? false;
  }

  private async fetchTrees(digests: readonly Uint8Array[]): Promise<void> {
    const missing = unique(digests).filter((d) => !this.objects.has(key(d)));
    await this.fetcher.many(missing, (i, raw) => {
      const d = missing[i] as Uint8Array;
      this.objects.set(key(d), this.decodeOnUse ? keptTree(d, raw) : decodeOrThrow(d, 'tree', () => decodeTree(raw)));
    });
  }

  /** The tree object of a loaded digest, decoded (again, for a kept tree). */
  private treeObject(digest: Uint8Array): TreeObject {
    const t = this.objects.get(key(digest)) as TreeObject | KeptTree;
    return 'bytes' in t ? decodeOrThrow(digest, 'tree', () => decodeTree(t.bytes)) : t;
  }

  /** A loaded tree's parts, or null for a tree of entries. */
  private partsOf(digest: Uint8Array): Uint8Array[] | null {
    const t = this.objects.get(key(digest));
    if (!t) return null;
    if ('bytes' in t) return t.parts;
    return 'parts' in t ? t.parts : null;
  }

  /** Loads tree objects not yet cached, and the parts of split ones, in batched requests. */
  async load(digests: readonly Uint8Array[]): Promise<void> {
    await this.fetchTrees(digests);
    const parts = unique(digests).flatMap((d) => this.partsOf(d) ?? []);
    // Parts are never split themselves (joinParts refuses it): one level, no recursion.
    if (parts.length > 0) await this.fetchTrees(parts);
  }

  /** The entries of a directory's tree, in name order (parts joined). */
  async entries(digest: Uint8Array): Promise<TreeEntry[]> {
    const k = key(digest);
    // Behind a loadAll, a tree not loaded yet comes with a level under way: fetched alone
    // it would cost a request of its own.
    while (this.behind && !this.objects.has(k)) await Promise.race([this.behind.level, this.behind.all]);
    await this.load([digest]);
    const t = this.treeObject(digest);
    if ('entries' in t) return t.entries;
    let out = this.joined.get(k);
    if (!out) {
      const parts = t.parts.map((p) => this.treeObject(p));
      out = decodeOrThrow(digest, 'tree', () => joinParts(parts));
      if (!this.decodeOnUse) this.joined.set(k, out);
    }
    return out;
  }

  /** The subtrees a loaded tree names (a split tree's through its parts), without keeping it decoded. */
  private async subtreesOf(digest: Uint8Array): Promise<Uint8Array[]> {
    const t = this.objects.get(key(digest));
    if (!t || !('bytes' in t)) return (await this.entries(digest)).flatMap((e) => (e.subtree ? [e.subtree] : []));
    if (!t.parts) return t.subtrees;
    return t.parts.flatMap((p) => (this.objects.get(key(p)) as KeptTree).subtrees);
  }

  /**
   * Loads every tree below `root`, one level at a time, thousands of trees per request
   * (a directory-by-directory walk would cost a round trip per directory). A level holds
   * each distinct tree once, so shared subtrees cost nothing more.
   */
  async loadAll(root: Uint8Array, onLevel: () => void = () => undefined): Promise<void> {
    let level: Uint8Array[] = [root];
    for (let depth = 0; level.length > 0; depth++) {
      this.budget.checkDepth(depth, level[0] as Uint8Array);
      await this.load(level);
      onLevel();
      const next: Uint8Array[] = [];
      for (const d of level) for (const sub of await this.subtreesOf(d)) next.push(sub);
      level = unique(next);
    }
  }

  /**
   * Starts loadAll(root) and lets walks run behind it (check hands data to its readers from
   * the first level on, instead of after the last): until it ends, entries() of a tree not yet
   * loaded waits for the levels under way, and prefetchChildren leaves subtrees to them. A
   * failed load ends with its error the walks waiting on it, any later request for a tree it
   * did not load, and the promise returned.
   */
  loadAllBehind(root: Uint8Array): Promise<void> {
    if (this.behind) throw new Error('TreeSource: a loadAll is already under way');
    const next = (): { level: Promise<void>; wake: () => void } => {
      let wake = (): void => undefined;
      const level = new Promise<void>((resolve) => { wake = resolve; });
      return { level, wake };
    };
    const state = { all: Promise.resolve(), ...next() };
    state.all = this.loadAll(root, () => {
      const woken = state.wake;
      Object.assign(state, next());
      woken();
    }).then(() => {
      this.behind = null;
      state.wake();
    });
    // A failed load stays under way as far as walks go: they race its rejection, so each one
    // waiting, and each tree asked for later that it did not load, ends with its error.
    this.behind = state;
    state.all.catch(() => undefined); // reported through the walks and the caller's await
    return state.all;
  }

  /** Loads the subtrees of these entries ahead of use (one request for many directories). */
  async prefetchChildren(entries: readonly TreeEntry[]): Promise<void> {
    if (this.behind) return; // the loadAll under way fetches them with their whole level
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

  /**
   * A large file's chunk digests, resolving its list objects (levels). Each level is counted
   * against the budget before the next is fetched, and each distinct list is fetched once,
   * so a list of a list of the same list costs its few objects, never its expansion.
   */
  async listChunks(list: Uint8Array): Promise<Uint8Array[]> {
    let level: Uint8Array[] = [list];
    for (let depth = 0; depth < 6; depth++) {
      const distinct = unique(level);
      const lists = new Map<string, ListObject>();
      await this.fetcher.many(distinct, (i, raw) => {
        const d = distinct[i] as Uint8Array;
        lists.set(key(d), decodeOrThrow(d, 'list', () => decodeList(raw)));
      });
      const of = level.map((d) => lists.get(key(d)) as ListObject);
      const lvl = of[0]?.level ?? 0;
      if (of.some((l) => l.level !== lvl)) throw new HavenError('OBJECT_UNDECODABLE', { digest: toHex(list), kind: 'list', detail: 'mixed list levels' });
      this.budget.spendEntries(of.reduce((n, l) => n + l.items.length, 0));
      const items = of.flatMap((l) => l.items);
      if (lvl === 0) return items;
      level = items;
    }
    throw new HavenError('OBJECT_UNDECODABLE', { digest: toHex(list), kind: 'list', detail: 'list nesting too deep' });
  }
}
