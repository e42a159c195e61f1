// Finding entries by name or path across many snapshots (haven find). Snapshots of one group
// share almost every directory: what one subtree holds at one path is found once and
// remembered (by tree digest and path), so each further snapshot costs its changed
// directories, not its whole tree, in fetches and in walking. Every entry walked is counted
// against the budget and depth is bounded, as for any walk of a snapshot (walk-budget.ts).

import { digestKey } from '../../../core/src/objects/digest.js';
import type { TreeSource } from './tree-source.js';
import type { WalkedEntry } from './tree-walk.js';

export type EntryMatcher = (path: string, name: string) => boolean;

const NONE: readonly WalkedEntry[] = Object.freeze([]);

export class FindWalk {
  /** Matches under a tree at a path (`digest key \0 path`): the same at any snapshot. */
  private readonly found = new Map<string, readonly WalkedEntry[]>();

  constructor(private readonly match: EntryMatcher) {}

  /** The entries under `tree` (stored at `prefix`) that match, in the tree's order. */
  async under(trees: TreeSource, tree: Uint8Array, prefix: string, depth = 0): Promise<readonly WalkedEntry[]> {
    const key = `${digestKey(tree)}\0${prefix}`;
    const known = this.found.get(key);
    if (known) return known;
    trees.budget.checkDepth(depth, tree);
    const entries = await trees.entries(tree);
    const pathOf = (name: string): string => (prefix === '' ? name : `${prefix}/${name}`);
    // fetch in one request only the subdirectories not found before
    await trees.prefetchChildren(entries.filter((e) => e.subtree && !this.found.has(`${digestKey(e.subtree)}\0${pathOf(e.name)}`)));
    const out: WalkedEntry[] = [];
    for (const e of entries) {
      trees.budget.spendEntries(1);
      const path = pathOf(e.name);
      if (this.match(path, e.name)) out.push({ path, entry: e });
      if (e.subtree) for (const m of await this.under(trees, e.subtree, path, depth + 1)) out.push(m);
    }
    const result = out.length > 0 ? out : NONE;
    this.found.set(key, result);
    return result;
  }
}
