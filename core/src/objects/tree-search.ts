// Finding entries by name or path across many snapshots: `haven find` on a client
// (client/src/cli/commands/find.ts) and the appliance's search for the UI
// (daemon/src/backup/snapshot-find.ts). Snapshots of one group share almost every directory:
// what one subtree holds at one path is found once and remembered (by tree digest and path),
// so each further snapshot costs its changed directories, not its whole tree. Where the trees
// come from, and what a walk may cost, is the caller's (a SearchSource per snapshot).

import { digestKey } from './digest.js';
import type { PathMatcher } from '../text/path-glob.js';
import type { TreeEntry } from './tree.js';

export interface Found {
  /** The entry's path as stored in the snapshot. */
  path: string;
  entry: TreeEntry;
}

export interface SearchSource {
  /** A directory's entries in name order (split trees joined). */
  entries(tree: Uint8Array): Promise<readonly TreeEntry[]>;
  /** Before a directory is read: depth limits, a pause for the event loop. */
  enter?(tree: Uint8Array, depth: number): Promise<void> | void;
  /** For each entry walked: budgets (throw to stop). */
  walked?(): void;
  /** For each match found in a subtree not searched before (what the search holds): budgets. */
  matched?(): void;
  /** The subdirectories of a directory that will be searched (not found before): to fetch them at once. */
  ahead?(subtrees: Uint8Array[]): Promise<void>;
}

const NONE: readonly Found[] = Object.freeze([]);

export class TreeSearch {
  /** Matches under a tree at a path (`digest key \0 path`): the same in any snapshot. */
  private readonly found = new Map<string, readonly Found[]>();

  constructor(private readonly match: PathMatcher) {}

  /** The entries under `tree` (stored at `prefix`) that match, in path order. */
  async under(source: SearchSource, tree: Uint8Array, prefix: string, depth = 0): Promise<readonly Found[]> {
    const known = this.found.get(`${digestKey(tree)}\0${prefix}`);
    if (known) return known;
    await source.enter?.(tree, depth);
    const entries = await source.entries(tree);
    const pathOf = (name: string): string => (prefix === '' ? name : `${prefix}/${name}`);
    if (source.ahead) {
      const fresh = entries.flatMap((e) => (e.subtree && !this.found.has(`${digestKey(e.subtree)}\0${pathOf(e.name)}`) ? [e.subtree] : []));
      if (fresh.length > 0) await source.ahead(fresh);
    }
    const out: Found[] = [];
    for (const e of entries) {
      source.walked?.();
      const path = pathOf(e.name);
      if (this.match(path, e.name)) {
        source.matched?.();
        out.push({ path, entry: e });
      }
      if (e.subtree) for (const f of await this.under(source, e.subtree, path, depth + 1)) out.push(f);
    }
    const result = out.length > 0 ? out : NONE;
    this.found.set(`${digestKey(tree)}\0${prefix}`, result);
    return result;
  }
}
