// Depth-first walk of a snapshot's trees (ls, diff, check), prefetching each directory's
// subdirectories in one request. Every entry yielded is counted against the source's
// budget, and depth is bounded, so a hostile snapshot ends in a typed error.

import type { TreeEntry } from '../../../core/src/objects/tree.js';
import type { TreeSource } from './tree-source.js';

export interface WalkedEntry {
  path: string;
  entry: TreeEntry;
}

export async function* walkTree(trees: TreeSource, tree: Uint8Array, prefix: string, depth = 0): AsyncGenerator<WalkedEntry> {
  trees.budget.checkDepth(depth, tree);
  const entries = await trees.entries(tree);
  await trees.prefetchChildren(entries);
  for (const e of entries) {
    trees.budget.spendEntries(1);
    const path = prefix === '' ? e.name : `${prefix}/${e.name}`;
    yield { path, entry: e };
    if (e.subtree) yield* walkTree(trees, e.subtree, path, depth + 1);
  }
}

/** Splits a path inside a snapshot into components ('' and '.' dropped). */
export function snapshotComponents(path: string | undefined): string[] {
  return (path ?? '').split('/').filter((c) => c !== '' && c !== '.');
}
