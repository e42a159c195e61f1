// The roots a collection marks from. A root is walked like a snapshot's tree:
// - every live snapshot: its record, its root tree, its latest protection record;
// - tombstones still needed (store/gc-index.ts indexRoots says which);
// - every open backup session: its pins (what `has` answered present, duplicates it
//   uploaded, trees its check vouched for) and its parent snapshot, even one deleted since
//   the session began (the client reads the parent's trees: a prune must not pull them away);
// - every hold another area registered (replication, drills): a snapshot or an object.
// Uploads of open sessions are not roots: they lie after the run's horizon and are no
// candidates at all (see collector.ts).

import { fromHex } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { decodeSnapshot } from '../../../core/src/objects/snapshot.js';
import type { SessionRoots } from '../backup/sessions.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { indexRoots } from '../store/gc-index.js';
import type { Hold } from '../store/store-api.js';
import type { Marker } from './marker.js';

/** A snapshot's root tree, from the catalogue or, for a deleted one, from its record while indexed. */
export async function snapshotRoot(store: ChunkStore, id: Uint8Array): Promise<Buffer | null> {
  const entry = store.index.snapshots.get(Buffer.from(id));
  if (entry) return Buffer.from(entry.root, 'hex');
  if (!store.locate(id)) return null;
  return Buffer.from(decodeSnapshot(await store.readObject(id, ObjectKind.snapshot)).root);
}

/** Marks a snapshot's record and everything under its root; false when nothing of it is left. */
export async function markSnapshot(store: ChunkStore, marker: Marker, id: Uint8Array): Promise<boolean> {
  const root = await snapshotRoot(store, id);
  if (!root) return false;
  await marker.mark(id, ObjectKind.snapshot);
  await marker.mark(root, ObjectKind.tree);
  return true;
}

/** Marks from the index's own roots (snapshots, protection records, tombstones); answers how many snapshots. */
export async function markIndexRoots(store: ChunkStore, marker: Marker, progress: (done: number, of: number) => void): Promise<number> {
  const { snapshots, records } = indexRoots(store.index);
  for (const r of records) await marker.markIndexed(r);
  for (const [i, s] of snapshots.entries()) {
    progress(i, snapshots.length);
    await marker.mark(s.id, ObjectKind.snapshot);
    await marker.mark(s.root, ObjectKind.tree);
  }
  return snapshots.length;
}

/**
 * Marks a session's parent (when `withParent`) and its pins from the `skip`-th on (a Set
 * iterates in insertion order: a catch-up walks only pins added since the last walk).
 */
export async function markSession(store: ChunkStore, marker: Marker, s: SessionRoots, skip = 0, withParent = true): Promise<void> {
  if (withParent && s.parent) await markSnapshot(store, marker, fromHex(s.parent));
  // A copy: the session may pin more while this walk awaits reads.
  const pins: string[] = [];
  let i = 0;
  for (const p of s.pins) if (i++ >= skip) pins.push(p);
  for (const pin of pins) await marker.markIndexed(Buffer.from(pin, 'latin1'));
}

export async function markHold(store: ChunkStore, marker: Marker, h: Hold): Promise<void> {
  const digest = fromHex(h.target);
  if (h.kind === 'snapshot') await markSnapshot(store, marker, digest);
  else await marker.markIndexed(digest);
}

/** A hold's identity, to tell holds added since a walk. */
export function holdKey(h: Pick<Hold, 'owner' | 'kind' | 'target'>): string {
  return `${h.owner}\u0000${h.kind}\u0000${h.target}`;
}
