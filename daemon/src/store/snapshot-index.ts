// Snapshot registration in the index. Called inside the LMDB transaction that indexes the
// snapshot's record (commit), when recovery finds such a record past the indexed length,
// and when rebuilding the index from segments. Each registration, each deletion and each
// change of the protected flag is appended to the change feed in the same transaction.

import { toHex } from '../../../core/src/objects/digest.js';
import type { ProtectionRecord, SnapshotRecord, TombstoneRecord } from '../../../core/src/objects/snapshot.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { appendChange } from './change-feed.js';
import type { ObjectIndex, SnapshotEntry } from './object-index.js';

export function snapshotEntry(s: SnapshotRecord): SnapshotEntry {
  const e: SnapshotEntry = {
    group: s.group, time: s.time, host: s.host, paths: s.paths, tags: s.tags,
    root: toHex(s.root), session: s.session,
    // sorted like the encoded record, so an entry rebuilt from segments is identical
    stats: Object.fromEntries(Object.entries(s.stats).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
  if (s.parent) e.parent = toHex(s.parent);
  return e;
}

export function toSummary(id: string, e: SnapshotEntry, isProtected: boolean): SnapshotSummary {
  const s: SnapshotSummary = {
    id, group: e.group, time: new Date(e.time).toISOString(), host: e.host, paths: e.paths, tags: e.tags,
    root: e.root, session: e.session, stats: e.stats, protected: isProtected,
  };
  if (e.parent) s.parent = e.parent;
  return s;
}

/** Registers a snapshot unless a tombstone already deleted it. Must run inside a write transaction. */
export function registerSnapshot(index: ObjectIndex, digest: Buffer, record: SnapshotRecord): boolean {
  if (index.tombstones.doesExist(digest)) return false;
  const entry = snapshotEntry(record);
  const id = toHex(digest);
  if (!index.snapshots.doesExist(digest)) appendChange(index, { type: 'committed', snapshot: id, group: entry.group, time: entry.time });
  index.snapshots.putSync(digest, entry);
  index.bygroup.putSync([entry.group, entry.time, id], null);
  const session = index.sessions.get(record.session);
  if (session && session.state !== 'committed') {
    index.sessions.putSync(record.session, { ...session, state: 'committed', snapshot: toHex(digest) });
  }
  return true;
}

/** Applies a deletion. Must run inside a write transaction. */
export function applyTombstone(index: ObjectIndex, t: TombstoneRecord): void {
  const digest = Buffer.from(t.snapshot);
  const entry = index.snapshots.get(digest);
  if (entry) {
    index.bygroup.removeSync([entry.group, entry.time, toHex(digest)]);
    index.snapshots.removeSync(digest);
    appendChange(index, { type: 'deleted', snapshot: toHex(digest), group: entry.group, time: t.time });
  }
  const reclaimedAt = index.tombstones.get(digest)?.recordSegment;
  index.tombstones.putSync(digest, { time: t.time, by: t.by, ...(reclaimedAt === undefined ? {} : { recordSegment: reclaimedAt }) });
  // A deleted snapshot has nothing left to protect (and is never protected again: see below).
  index.protections.removeSync(digest);
}

/**
 * Applies a protection record if it is later than the snapshot's current one: the latest
 * record by time wins, whatever order records are applied in (segment order, a rebuild, a
 * replica); on equal times protection wins, the safe side. Ignored for a deleted snapshot.
 * Must run inside a write transaction. True when it changed the state.
 */
export function applyProtection(index: ObjectIndex, p: ProtectionRecord): boolean {
  const digest = Buffer.from(p.snapshot);
  if (index.tombstones.doesExist(digest)) return false;
  const current = index.protections.get(digest);
  if (current && (current.time > p.time || (current.time === p.time && (current.protected || !p.protected)))) return false;
  const was = current?.protected ?? false;
  index.protections.putSync(digest, { protected: p.protected, time: p.time, by: p.by });
  // A replica follows the flag through the feed (a record applied before its snapshot is
  // registered has no group yet: the snapshot's listing carries the flag then).
  const entry = index.snapshots.get(digest);
  if (entry && was !== p.protected) {
    appendChange(index, { type: p.protected ? 'protected' : 'unprotected', snapshot: toHex(digest), group: entry.group, time: p.time });
  }
  return true;
}

export function isProtectedIn(index: ObjectIndex, digest: Buffer): boolean {
  return index.protections.get(digest)?.protected === true;
}
