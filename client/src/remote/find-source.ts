// A snapshot's trees as `haven find` searches them (core/src/objects/tree-search.ts): fetched
// through the snapshot's TreeSource, the directories not searched before fetched in one
// request, every entry walked counted against the walk budget and depth bounded.

import type { SearchSource } from '../../../core/src/objects/tree-search.js';
import type { TreeSource } from './tree-source.js';

export function findSource(trees: TreeSource): SearchSource {
  return {
    entries: (tree) => trees.entries(tree),
    enter: (tree, depth) => trees.budget.checkDepth(depth, tree),
    walked: () => trees.budget.spendEntries(1),
    ahead: (subtrees) => trees.load(subtrees),
  };
}
