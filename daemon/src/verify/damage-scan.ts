// Which snapshots reach a damaged object, and through which trees. Run after a verification
// found damage, and while any snapshot is on record as damaged (to see it healed): every live
// snapshot is walked, each tree and list once however many snapshots share it, remembering
// for each the damaged objects below it. Only trees and lists are read (data is only looked
// at by digest), through the store's ordinary reads.
//
// The trees that reach damage are what the quarantine un-flags ("complete" trees would let a
// commit skip the damaged object, so the next backup would not be refused and not heal it),
// and what verification forgets (their "verified with everything below" is void).

import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { decodeList } from '../../../core/src/objects/list.js';
import { decodeTree } from '../../../core/src/objects/tree.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { ObjectSource } from '../store/reachability.js';

/** Damaged digests named per snapshot (the alert and the API show these). */
const NAMED_PER_SNAPSHOT = 20;

export interface DamageScan {
  /** Snapshots that reach damage, with the damaged digests they reach (hex, up to 20). */
  snapshots: Array<{ snapshot: SnapshotSummary; digests: string[] }>;
  /** Trees on a path from a snapshot root to a damaged object (the damaged ones excluded). */
  above: Buffer[];
}

export async function scanDamage(
  objects: ObjectSource,
  snapshots: readonly SnapshotSummary[],
  damaged: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<DamageScan> {
  const out: DamageScan = { snapshots: [], above: [] };
  if (damaged.size === 0) return out;
  /** Damaged digests below each tree or list walked (hex keys; empty: none). */
  const below = new Map<string, string[]>();

  const reach = async (digest: Uint8Array, kind: ObjectKind): Promise<string[]> => {
    const hex = toHex(digest);
    if (damaged.has(hex)) return [hex];
    if (kind === ObjectKind.data) return [];
    const known = below.get(hex);
    if (known) return known;
    if (signal.aborted) throw signal.reason;
    let raw: Buffer;
    try {
      raw = await objects.readObject(digest, kind);
    } catch (err) {
      // Gone since (a deletion) or unreadable: verification names unreadable records itself.
      if (err instanceof HavenError) return [];
      throw err;
    }
    const found = new Set<string>();
    const add = (list: string[]): void => {
      for (const d of list) if (found.size < NAMED_PER_SNAPSHOT) found.add(d);
    };
    if (kind === ObjectKind.tree) {
      const tree = decodeTree(raw);
      if ('parts' in tree) for (const p of tree.parts) add(await reach(p, ObjectKind.tree));
      else {
        for (const e of tree.entries) {
          for (const d of e.data ?? []) add(await reach(d, ObjectKind.data));
          if (e.list) add(await reach(e.list, ObjectKind.list));
          if (e.subtree) add(await reach(e.subtree, ObjectKind.tree));
        }
      }
    } else {
      const list = decodeList(raw);
      for (const d of list.items) add(await reach(d, list.level === 0 ? ObjectKind.data : ObjectKind.list));
    }
    const result = [...found];
    below.set(hex, result);
    if (result.length > 0 && kind === ObjectKind.tree) out.above.push(Buffer.from(digest));
    return result;
  };

  for (const snapshot of snapshots) {
    const digests = await reach(Buffer.from(snapshot.root, 'hex'), ObjectKind.tree);
    if (digests.length > 0) out.snapshots.push({ snapshot, digests });
  }
  return out;
}
