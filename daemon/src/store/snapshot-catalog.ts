// The snapshot catalogue over the index: listing by group (the `bygroup` table is ordered by
// [group, time, id]), lookup, commit, deletion and protection. Commit, deletion and
// (un)protection append a record to the segments (a snapshot, a tombstone, a protection) and
// change the index in the transaction that indexes that record, so the index never says more
// than the segments can rebuild.

import type { GroupSummary, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { HavenError } from '../../../core/src/errors.js';
import { sha256, toHex } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { decodeSnapshot, encodeProtection, encodeSnapshot, encodeTombstone, type SnapshotRecord, type TombstoneRecord } from '../../../core/src/objects/snapshot.js';
import type { ChunkStore } from './chunk-store.js';
import { markTreesComplete } from './object-index.js';
import { applyProtection, applyTombstone, isProtectedIn, registerSnapshot, snapshotEntry, toSummary } from './snapshot-index.js';
import type { CommitWith, DeletedMany, SnapshotCatalog } from './store-api.js';

/** A commit's proof of presence predates a GC removal: walk again (see CommitWith.walkedAt). */
export class WalkOutdated extends Error {
  constructor() {
    super('garbage collection removed objects while the commit walked its tree');
  }
}

export class IndexSnapshotCatalog implements SnapshotCatalog {
  /**
   * Deletions and protection changes run one at a time: a deletion checks the protection and
   * appends its tombstone with no protect in between (a tombstone once appended is final,
   * so the check cannot be made inside the transaction that indexes it).
   */
  private changes: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Pick<ChunkStore, 'index' | 'writeOwnObject' | 'writeOwnObjects' | 'removalGeneration'>) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.changes.then(fn, fn);
    this.changes = run.catch(() => undefined);
    return run;
  }

  private get index() {
    return this.store.index;
  }

  get(id: string): SnapshotSummary | undefined {
    const digest = Buffer.from(id, 'hex');
    const e = this.index.snapshots.get(digest);
    return e ? toSummary(id, e, isProtectedIn(this.index, digest)) : undefined;
  }

  /** Listed ids always have an entry (both tables change in one transaction). */
  private summary(id: string): SnapshotSummary {
    return this.get(id) as SnapshotSummary;
  }

  list(group: string, last?: number): SnapshotSummary[] {
    const out: SnapshotSummary[] = [];
    if (last === undefined) {
      for (const [, , id] of this.index.bygroup.getKeys({ start: [group], end: [group, Number.MAX_SAFE_INTEGER] })) out.push(this.summary(id));
      return out;
    }
    // The newest first from the end of the group's key range, then back in time order.
    for (const [, , id] of this.index.bygroup.getKeys({ start: [group, Number.MAX_SAFE_INTEGER], end: [group], reverse: true, limit: last })) out.push(this.summary(id));
    return out.reverse();
  }

  countIn(group: string): number {
    return this.index.bygroup.getKeysCount({ start: [group], end: [group, Number.MAX_SAFE_INTEGER] });
  }

  latest(group: string): SnapshotSummary | null {
    for (const [, , id] of this.index.bygroup.getKeys({ start: [group, Number.MAX_SAFE_INTEGER], end: [group], reverse: true, limit: 1 })) {
      return this.summary(id);
    }
    return null;
  }

  groups(visible: (group: string) => boolean = () => true): GroupSummary[] {
    const counts = new Map<string, { n: number; latest: string }>();
    for (const [group, , id] of this.index.bygroup.getKeys()) {
      if (!visible(group)) continue;
      const c = counts.get(group);
      // keys are ordered by [group, time, id], so the last one seen is the newest
      if (c) {
        c.n++;
        c.latest = id;
      } else counts.set(group, { n: 1, latest: id });
    }
    return [...counts.entries()].map(([name, c]) => ({ name, snapshots: c.n, latest: this.summary(c.latest) }));
  }

  ids(): string[] {
    return [...this.index.snapshots.getKeys()].map((k) => k.toString('hex'));
  }

  idsStartingWith(prefix: string, limit: number): string[] {
    // Binary keys sort like their hex, so the prefix is a contiguous key range.
    const even = prefix.slice(0, prefix.length - (prefix.length % 2));
    const out: string[] = [];
    for (const key of this.index.snapshots.getKeys({ start: Buffer.from(even, 'hex') })) {
      const hex = key.toString('hex');
      if (!hex.startsWith(even) || out.length >= limit) break;
      if (hex.startsWith(prefix)) out.push(hex);
    }
    return out;
  }

  count(): number {
    return this.index.snapshots.getCount();
  }

  commit(record: SnapshotRecord, also: CommitWith): Promise<SnapshotSummary> {
    return this.commitRecord(encodeSnapshot(record), record, also);
  }

  commitRaw(raw: Uint8Array, also: CommitWith): Promise<SnapshotSummary> {
    return this.commitRecord(raw, decodeSnapshot(raw), also);
  }

  private async commitRecord(raw: Uint8Array, record: SnapshotRecord, also: CommitWith): Promise<SnapshotSummary> {
    const digest = sha256(raw);
    const id = toHex(digest);
    await this.store.writeOwnObject(ObjectKind.snapshot, raw, () => {
      this.index.sessions.putSync(also.session.id, { ...also.session, state: 'committed', snapshot: id });
      registerSnapshot(this.index, digest, record);
      markTreesComplete(this.index, also.completeTrees);
    }, () => {
      if (this.store.removalGeneration !== also.walkedAt) throw new WalkOutdated();
    });
    return toSummary(id, snapshotEntry(record), false);
  }

  delete(id: string, by: string): Promise<void> {
    return this.serial(async () => {
      const digest = Buffer.from(id, 'hex');
      const protection = this.index.protections.get(digest);
      if (protection?.protected) {
        throw new HavenError('SNAPSHOT_PROTECTED', { id, by: protection.by, since: new Date(protection.time).toISOString() });
      }
      const tombstone = { snapshot: digest, time: Date.now(), by };
      await this.store.writeOwnObject(ObjectKind.tombstone, encodeTombstone(tombstone), () => applyTombstone(this.index, tombstone));
    });
  }

  deleteMany(ids: readonly string[], by: string): Promise<DeletedMany> {
    return this.serial(async () => {
      const out: DeletedMany = { deleted: [], refused: [] };
      const tombstones: TombstoneRecord[] = [];
      // Decided inside the store's step, as one deletion's check is in this queue: the index
      // cannot change between a snapshot's check and its tombstone.
      const make = (): Uint8Array[] => {
        const time = Date.now();
        for (const id of new Set(ids)) {
          const digest = Buffer.from(id, 'hex');
          const entry = this.index.snapshots.get(digest);
          const protection = this.index.protections.get(digest);
          if (!entry) out.refused.push({ id, code: 'SNAPSHOT_NOT_FOUND' });
          else if (protection?.protected) out.refused.push({ id, code: 'SNAPSHOT_PROTECTED' });
          else {
            tombstones.push({ snapshot: digest, time, by });
            out.deleted.push({ id, group: entry.group });
          }
        }
        return tombstones.map((t) => encodeTombstone(t));
      };
      await this.store.writeOwnObjects(ObjectKind.tombstone, make, () => {
        for (const t of tombstones) applyTombstone(this.index, t);
      });
      return out;
    });
  }

  isProtected(id: string): boolean {
    return isProtectedIn(this.index, Buffer.from(id, 'hex'));
  }

  protect(id: string, by: string): Promise<SnapshotSummary> {
    return this.setProtection(id, true, by);
  }

  unprotect(id: string, by: string): Promise<SnapshotSummary> {
    return this.setProtection(id, false, by);
  }

  /** Appends a protection record unless the snapshot is already in that state (no-op). */
  private setProtection(id: string, protect: boolean, by: string): Promise<SnapshotSummary> {
    return this.serial(async () => {
      const digest = Buffer.from(id, 'hex');
      if (!this.index.snapshots.doesExist(digest)) throw new HavenError('SNAPSHOT_NOT_FOUND', { id });
      const current = this.index.protections.get(digest);
      if ((current?.protected ?? false) !== protect) {
        // Later than the current record even if the clock stepped back: the latest record
        // wins, and two records of one snapshot never encode to the same bytes.
        const record = { snapshot: digest, protected: protect, time: Math.max(Date.now(), (current?.time ?? 0) + 1), by };
        await this.store.writeOwnObject(ObjectKind.protection, encodeProtection(record), () => {
          // deletions run in this same queue: the snapshot checked above is still there
          applyProtection(this.index, record);
        });
      }
      return this.summary(id);
    });
  }
}
