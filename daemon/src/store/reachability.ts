// Walks the Merkle tree under a root and finds what is missing. Commits use it to refuse a
// snapshot that references absent objects; recovery and `store check` use it too.
// Trees flagged complete (verified at an earlier commit) are not descended into, so an
// incremental backup's commit costs in proportion to what changed.

import { HavenError } from '../../../core/src/errors.js';
import { digestKey, toHex } from '../../../core/src/objects/digest.js';
import { ObjectKind, kindName } from '../../../core/src/objects/kinds.js';
import { decodeList } from '../../../core/src/objects/list.js';
import { decodeTree, type TreeEntry } from '../../../core/src/objects/tree.js';
import type { Location } from './object-index.js';

export interface ObjectSource {
  locate(digest: Uint8Array): Location | undefined;
  readObject(digest: Uint8Array, expectKind?: ObjectKind): Promise<Buffer>;
}

export interface WalkResult {
  missing: Uint8Array[];
  /** Trees visited (all complete when `missing` is empty). */
  trees: Uint8Array[];
  objects: number;
}

export interface WalkOptions {
  /** Descend into trees even when flagged complete (store check does). */
  ignoreComplete?: boolean;
  /** Stop collecting after this many missing objects. */
  missingLimit?: number;
  /** Trees (latin1 digest keys) known complete besides those flagged in the index: not descended into. */
  isComplete?: (key: string) => boolean;
  /** Called for every object reached (store check counts and marks them). */
  visit?: (digest: Uint8Array, kind: ObjectKind) => void;
}

function undecodable(digest: Uint8Array, kind: ObjectKind, err: unknown): HavenError {
  return new HavenError('OBJECT_UNDECODABLE', { digest: toHex(digest), kind: kindName(kind) ?? kind, detail: (err as Error).message });
}

export async function walkReachable(src: ObjectSource, root: Uint8Array, options: WalkOptions = {}): Promise<WalkResult> {
  const missingLimit = options.missingLimit ?? 100;
  const seen = new Set<string>();
  const missing: Uint8Array[] = [];
  const trees: Uint8Array[] = [];
  let objects = 0;
  const pending: Array<{ digest: Uint8Array; kind: ObjectKind }> = [];

  const reach = (digest: Uint8Array, kind: ObjectKind): boolean => {
    const k = digestKey(digest);
    if (seen.has(k)) return false;
    seen.add(k);
    objects++;
    const loc = src.locate(digest);
    if (!loc) {
      if (missing.length < missingLimit) missing.push(digest);
      return false;
    }
    if (loc.kind !== kind) {
      throw new HavenError('OBJECT_UNDECODABLE', {
        digest: toHex(digest), kind: kindName(loc.kind) ?? loc.kind, detail: `referenced as ${kindName(kind)}`,
      });
    }
    options.visit?.(digest, kind);
    if (kind === ObjectKind.tree && ((loc.complete && !options.ignoreComplete) || options.isComplete?.(k))) return false;
    return kind !== ObjectKind.data;
  };

  const entryRefs = (e: TreeEntry): void => {
    for (const d of e.data ?? []) if (reach(d, ObjectKind.data)) pending.push({ digest: d, kind: ObjectKind.data });
    if (e.list && reach(e.list, ObjectKind.list)) pending.push({ digest: e.list, kind: ObjectKind.list });
    if (e.subtree && reach(e.subtree, ObjectKind.tree)) pending.push({ digest: e.subtree, kind: ObjectKind.tree });
  };

  if (reach(root, ObjectKind.tree)) pending.push({ digest: root, kind: ObjectKind.tree });
  while (pending.length > 0) {
    const { digest, kind } = pending.pop() as { digest: Uint8Array; kind: ObjectKind };
    const raw = await src.readObject(digest, kind);
    if (kind === ObjectKind.tree) {
      trees.push(digest);
      let tree;
      try {
        tree = decodeTree(raw);
      } catch (err) {
        throw undecodable(digest, kind, err);
      }
      if ('parts' in tree) {
        for (const p of tree.parts) if (reach(p, ObjectKind.tree)) pending.push({ digest: p, kind: ObjectKind.tree });
      } else {
        for (const e of tree.entries) entryRefs(e);
      }
    } else if (kind === ObjectKind.list) {
      let list;
      try {
        list = decodeList(raw);
      } catch (err) {
        throw undecodable(digest, kind, err);
      }
      const childKind = list.level === 0 ? ObjectKind.data : ObjectKind.list;
      for (const d of list.items) if (reach(d, childKind) && childKind === ObjectKind.list) pending.push({ digest: d, kind: childKind });
    }
  }
  return { missing, trees, objects };
}
