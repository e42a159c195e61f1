// The snapshot catalogue over the index: listing by group (the `bygroup` table is ordered by
// [group, time, id]), lookup, commit and deletion. Commit and deletion append a record to
// the segments (a snapshot, a tombstone) and change the index in the transaction that
// indexes that record, so the index never says more than the segments can rebuild.

import type { GroupSummary, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { sha256, toHex } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { encodeSnapshot, encodeTombstone, type SnapshotRecord } from '../../../core/src/objects/snapshot.js';
import type { ChunkStore } from './chunk-store.js';
import { markTreesComplete } from './object-index.js';
import { applyTombstone, registerSnapshot, snapshotEntry, toSummary } from './snapshot-index.js';
import type { CommitWith, SnapshotCatalog } from './store-api.js';

export class IndexSnapshotCatalog implements SnapshotCatalog {
  constructor(private readonly store: Pick<ChunkStore, 'index' | 'writeOwnObject'>) {}

  private get index() {
    return this.store.index;
  }

  get(id: string): SnapshotSummary | undefined {
    const e = this.index.snapshots.get(Buffer.from(id, 'hex'));
    return e ? toSummary(id, e) : undefined;
  }

  /** Listed ids always have an entry (both tables change in one transaction). */
  private summary(id: string): SnapshotSummary {
    return this.get(id) as SnapshotSummary;
  }

  list(group: string): SnapshotSummary[] {
    const out: SnapshotSummary[] = [];
    for (const [, , id] of this.index.bygroup.getKeys({ start: [group], end: [group, Number.MAX_SAFE_INTEGER] })) out.push(this.summary(id));
    return out;
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

  async commit(record: SnapshotRecord, also: CommitWith): Promise<SnapshotSummary> {
    const raw = encodeSnapshot(record);
    const digest = sha256(raw);
    const id = toHex(digest);
    await this.store.writeOwnObject(ObjectKind.snapshot, raw, () => {
      this.index.sessions.putSync(also.session.id, { ...also.session, state: 'committed', snapshot: id });
      registerSnapshot(this.index, digest, record);
      markTreesComplete(this.index, also.completeTrees);
    });
    return toSummary(id, snapshotEntry(record));
  }

  async delete(id: string, by: string): Promise<void> {
    const tombstone = { snapshot: Buffer.from(id, 'hex'), time: Date.now(), by };
    await this.store.writeOwnObject(ObjectKind.tombstone, encodeTombstone(tombstone), () => applyTombstone(this.index, tombstone));
  }
}
