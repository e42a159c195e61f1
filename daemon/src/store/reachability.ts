// Walks the Merkle tree under a root and finds what is missing. Commits use it to refuse a
// snapshot that references absent objects; recovery and `store check` use it too.
// Trees flagged complete (verified at an earlier commit) are not descended into, so an
// incremental backup's commit costs in proportion to what changed.
//
// Beyond presence, the walk holds every tree to what a restore relies on: a split
// directory's parts form one namespace (core/src/objects/split-tree.ts), and directories
// nest at most MAX_TREE_DEPTH deep. Depth is measured as each tree's height (the longest
// chain of directories below it), a property of its content: computed once per tree however
// often it is shared, so a hostile DAG of 2^40 paths costs what its few objects cost. Trees
// not walked (complete ones) bring their height from the index, recorded when they were
// found complete.

import { HavenError } from '../../../core/src/errors.js';
import { digestKey, toHex } from '../../../core/src/objects/digest.js';
import { ObjectKind, kindName } from '../../../core/src/objects/kinds.js';
import { decodeList } from '../../../core/src/objects/list.js';
import { joinParts } from '../../../core/src/objects/split-tree.js';
import { decodeOrThrow } from '../../../core/src/objects/undecodable.js';
import { MAX_TREE_DEPTH, decodeTree, type TreeObject } from '../../../core/src/objects/tree.js';
import type { Location } from './object-index.js';

export interface ObjectSource {
  locate(digest: Uint8Array): Location | undefined;
  readObject(digest: Uint8Array, expectKind?: ObjectKind): Promise<Buffer>;
}

/** Objects read back many at a time to be checked, not kept (verification). */
export interface BulkCheck {
  /**
   * Each object's raw length when its record is whole and its content hashes to its digest as
   * the kind asked for, else null: not indexed, a read or record that failed, content that
   * does not match. A null proves nothing by itself; the caller reads that object alone
   * (readObject), which says what is wrong.
   */
  checkEach(items: ReadonlyArray<{ digest: Uint8Array; kind: ObjectKind }>): Promise<Array<number | null>>;
}

export interface WalkedTree {
  digest: Uint8Array;
  /** Directory levels below it (0: no subdirectory); a split tree's parts count as its level. */
  height: number;
}

export interface WalkResult {
  missing: Uint8Array[];
  /** Objects present but quarantined (options.isDamaged): not descended into. */
  damaged: Uint8Array[];
  /** Trees visited, with their heights (all complete when `missing` is empty). */
  trees: WalkedTree[];
  objects: number;
}

export interface WalkOptions {
  /** Descend into trees even when flagged complete (store check does). */
  ignoreComplete?: boolean;
  /** Stop collecting after this many missing objects. */
  missingLimit?: number;
  /**
   * Heights of trees (latin1 digest keys) known complete besides those flagged in the index:
   * not descended into. undefined: not known complete.
   */
  completeHeight?: (key: string) => number | undefined;
  /** Whether a present object is known damaged (quarantined): reported apart, not descended into. */
  isDamaged?: (digest: Uint8Array) => boolean;
  /** Called for every object reached (store check counts and marks them). */
  visit?: (digest: Uint8Array, kind: ObjectKind) => void;
}

interface Pending {
  digest: Uint8Array;
  kind: ObjectKind;
  /** Directory depth below the root (trees only; the parts of a split tree share its depth). */
  depth: number;
}

/** A walked tree's child trees: subdirectories one level down, parts at its own level. */
type Children = Array<{ key: string; down: 0 | 1 }>;

export async function walkReachable(src: ObjectSource, root: Uint8Array, options: WalkOptions = {}): Promise<WalkResult> {
  const missingLimit = options.missingLimit ?? 100;
  const seen = new Set<string>();
  const missing: Uint8Array[] = [];
  const damaged: Uint8Array[] = [];
  const walked = new Map<string, { digest: Uint8Array; children: Children }>();
  /** Heights of trees not walked because they are complete. */
  const known = new Map<string, number>();
  let objects = 0;
  const pending: Pending[] = [];

  const decodeTreeOf = (digest: Uint8Array, raw: Buffer): TreeObject => decodeOrThrow(digest, 'tree', () => decodeTree(raw));

  /** Whether `digest` must be read and descended into (reached for the first time, present, not complete). */
  const reach = (digest: Uint8Array, kind: ObjectKind, k: string): boolean => {
    if (seen.has(k)) return false;
    seen.add(k);
    objects++;
    const loc = src.locate(digest);
    if (!loc) {
      if (missing.length < missingLimit) missing.push(digest);
      return false;
    }
    if (options.isDamaged?.(digest)) {
      if (damaged.length < missingLimit) damaged.push(digest);
      return false;
    }
    if (loc.kind !== kind) {
      throw new HavenError('OBJECT_UNDECODABLE', {
        digest: toHex(digest), kind: kindName(loc.kind) ?? loc.kind, detail: `referenced as ${kindName(kind)}`,
      });
    }
    options.visit?.(digest, kind);
    if (kind === ObjectKind.tree) {
      // A tree flagged complete before heights were recorded is walked once more to learn its height.
      const height = options.ignoreComplete ? undefined : (options.completeHeight?.(k) ?? (loc.complete ? loc.height : undefined));
      if (height !== undefined) {
        known.set(k, height);
        return false;
      }
    }
    return kind !== ObjectKind.data;
  };
  const push = (digest: Uint8Array, kind: ObjectKind, depth: number): string => {
    const k = digestKey(digest);
    if (reach(digest, kind, k)) pending.push({ digest, kind, depth });
    return k;
  };

  /** A split directory's parts must join into one namespace; checked once all are present. */
  const checkParts = async (digest: Uint8Array, parts: readonly Uint8Array[]): Promise<void> => {
    if (parts.some((p) => src.locate(p)?.kind !== ObjectKind.tree)) return; // reported as missing or mistyped by the walk
    const decoded: TreeObject[] = [];
    for (const p of parts) decoded.push(decodeTreeOf(p, await src.readObject(p, ObjectKind.tree)));
    decodeOrThrow(digest, 'tree', () => joinParts(decoded));
  };

  const rootKey = push(root, ObjectKind.tree, 0);
  while (pending.length > 0) {
    const { digest, kind, depth } = pending.pop() as Pending;
    const raw = await src.readObject(digest, kind);
    if (kind === ObjectKind.tree) {
      // Met this deep on some path: the root's height is at least this (an early stop for long chains).
      if (depth > MAX_TREE_DEPTH) throw new HavenError('TREE_TOO_DEEP', { limit: MAX_TREE_DEPTH, digest: toHex(root) });
      const tree = decodeTreeOf(digest, raw);
      const children: Children = [];
      if ('parts' in tree) {
        await checkParts(digest, tree.parts);
        for (const p of tree.parts) children.push({ key: push(p, ObjectKind.tree, depth), down: 0 });
      } else {
        for (const e of tree.entries) {
          for (const d of e.data ?? []) push(d, ObjectKind.data, depth);
          if (e.list) push(e.list, ObjectKind.list, depth);
          if (e.subtree) children.push({ key: push(e.subtree, ObjectKind.tree, depth + 1), down: 1 });
        }
      }
      walked.set(digestKey(digest), { digest, children });
    } else if (kind === ObjectKind.list) {
      const list = decodeOrThrow(digest, 'list', () => decodeList(raw));
      const childKind = list.level === 0 ? ObjectKind.data : ObjectKind.list;
      for (const d of list.items) push(d, childKind, depth);
    }
  }
  const heights = treeHeights(walked, known);
  const rootHeight = heights.get(rootKey) ?? known.get(rootKey) ?? 0;
  if (rootHeight > MAX_TREE_DEPTH) throw new HavenError('TREE_TOO_DEEP', { limit: MAX_TREE_DEPTH, digest: toHex(root) });
  const trees = [...walked.entries()].map(([k, t]) => ({ digest: t.digest, height: heights.get(k) ?? 0 }));
  return { missing, damaged, trees, objects };
}

/**
 * Height of every walked tree, children first (an explicit stack: a chain of a thousand
 * directories must not need a thousand stack frames). Missing children count as leaves;
 * a walk with missing objects is refused anyway.
 */
function treeHeights(walked: ReadonlyMap<string, { children: Children }>, known: ReadonlyMap<string, number>): Map<string, number> {
  const heights = new Map<string, number>(known);
  for (const start of walked.keys()) {
    const stack = [start];
    while (stack.length > 0) {
      const k = stack[stack.length - 1] as string;
      if (heights.has(k)) {
        stack.pop();
        continue;
      }
      const children = walked.get(k)?.children ?? [];
      const unknown = children.filter((c) => !heights.has(c.key) && walked.has(c.key));
      if (unknown.length > 0) {
        for (const c of unknown) stack.push(c.key);
        continue;
      }
      stack.pop();
      heights.set(k, children.reduce((h, c) => Math.max(h, (heights.get(c.key) ?? 0) + c.down), 0));
    }
  }
  return heights;
}
