// The appliance's search across a group's snapshots for the UI ("where is last week's version
// of that file?"), as `haven find` does on a client (core/src/objects/tree-search.ts: a subtree
// shared by several snapshots is searched once). It runs on the daemon's main thread, so it
// yields to the event loop every few milliseconds (uploads keep being read, as the tree check's
// slices do) and stops at its bounds: entries walked and matches answered.

import { MAX_TREE_DEPTH } from '../../../core/src/objects/tree.js';
import { fromHex, toHex } from '../../../core/src/objects/digest.js';
import { HavenError } from '../../../core/src/errors.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { PathMatcher } from '../../../core/src/text/path-glob.js';
import { TreeSearch, type Found, type SearchSource } from '../../../core/src/objects/tree-search.js';
import type { TreeReader } from './tree-reader.js';

export interface FindBounds {
  /** Tree entries walked over the whole search (shared subtrees count once). */
  maxEntries: number;
  /** Matches answered over the whole search. */
  maxMatches: number;
  /**
   * Matches found and held over the whole search (each subtree's are remembered): a pattern
   * that matches nearly everything stops here rather than hold a whole tree's entries.
   */
  maxHeld: number;
}

export const DEFAULT_FIND_BOUNDS: FindBounds = { maxEntries: 2_000_000, maxMatches: 1000, maxHeld: 20_000 };

const SLICE_MS = 4;

class Stop extends Error {}

export async function findInSnapshots(
  trees: Pick<TreeReader, 'entries'>, snapshots: readonly SnapshotSummary[], match: PathMatcher, bounds: FindBounds = DEFAULT_FIND_BOUNDS,
): Promise<{ searched: number; found: Array<{ snapshot: SnapshotSummary; entries: readonly Found[] }>; truncated: boolean }> {
  const search = new TreeSearch(match);
  let walked = 0;
  let held = 0;
  let sliceEnd = performance.now() + SLICE_MS;
  const source: SearchSource = {
    entries: (tree) => trees.entries(tree),
    enter: async (tree, depth) => {
      if (depth > MAX_TREE_DEPTH) throw new HavenError('TREE_TOO_DEEP', { limit: MAX_TREE_DEPTH, digest: toHex(tree) });
      if (performance.now() < sliceEnd) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceEnd = performance.now() + SLICE_MS;
    },
    walked: () => {
      if (++walked > bounds.maxEntries) throw new Stop();
    },
    matched: () => {
      if (++held > bounds.maxHeld) throw new Stop();
    },
  };
  const found: Array<{ snapshot: SnapshotSummary; entries: readonly Found[] }> = [];
  let searched = 0;
  let matched = 0;
  let truncated = false;
  try {
    for (const snapshot of snapshots) {
      const entries = await search.under(source, fromHex(snapshot.root), '');
      searched++;
      if (entries.length === 0) continue;
      const room = bounds.maxMatches - matched;
      found.push({ snapshot, entries: entries.length > room ? entries.slice(0, room) : entries });
      matched += Math.min(entries.length, room);
      if (matched >= bounds.maxMatches) {
        truncated = searched < snapshots.length || entries.length > room;
        break;
      }
    }
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    truncated = true;
  }
  return { searched, found, truncated };
}
