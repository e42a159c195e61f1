// Snapshot listing, lookup by id or unique prefix, and deletion (a tombstone record, so
// that rebuilding the index from segments honours it; the data is reclaimed by GC later).

import { HavenError } from '../../../core/src/errors.js';
import type { GroupSummary, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { encodeTombstone } from '../../../core/src/objects/snapshot.js';
import type { EventBus } from '../events.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { applyTombstone, toSummary } from '../store/snapshot-index.js';

export class Catalog {
  constructor(private readonly store: ChunkStore, private readonly bus: EventBus) {}

  private get index() {
    return this.store.index;
  }

  groups(visible: (group: string) => boolean = () => true): GroupSummary[] {
    const counts = new Map<string, { n: number; latest: string }>();
    for (const key of this.index.bygroup.getKeys()) {
      const [group, , id] = key;
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

  /** Snapshots of a group, oldest first. */
  snapshots(group: string): SnapshotSummary[] {
    const out: SnapshotSummary[] = [];
    for (const [, , id] of this.index.bygroup.getKeys({ start: [group], end: [group, Number.MAX_SAFE_INTEGER] })) {
      out.push(this.summary(id));
    }
    return out;
  }

  latest(group: string): SnapshotSummary | null {
    for (const [, , id] of this.index.bygroup.getKeys({ start: [group, Number.MAX_SAFE_INTEGER], end: [group], reverse: true, limit: 1 })) {
      return this.summary(id);
    }
    return null;
  }

  private summary(id: string): SnapshotSummary {
    const e = this.index.snapshots.get(Buffer.from(id, 'hex'));
    if (!e) throw new HavenError('SNAPSHOT_NOT_FOUND', { id });
    return toSummary(id, e);
  }

  /** Resolves a full id or a unique prefix of at least 6 hex digits. */
  resolve(ref: string): SnapshotSummary {
    if (!/^[0-9a-f]{6,64}$/.test(ref)) throw new HavenError('SNAPSHOT_NOT_FOUND', { id: ref });
    if (ref.length === 64) return this.summary(ref);
    // Binary keys sort like their hex, so the prefix is a contiguous key range.
    const even = ref.length - (ref.length % 2);
    const start = Buffer.from(ref.slice(0, even), 'hex');
    const matches: string[] = [];
    for (const key of this.index.snapshots.getKeys({ start })) {
      const hex = key.toString('hex');
      if (!hex.startsWith(ref.slice(0, even))) break;
      if (hex.startsWith(ref)) matches.push(hex);
      if (matches.length > 1) throw new HavenError('SNAPSHOT_AMBIGUOUS', { id: ref });
    }
    if (matches.length === 0) throw new HavenError('SNAPSHOT_NOT_FOUND', { id: ref });
    return this.summary(matches[0] as string);
  }

  async delete(id: string, by: string): Promise<void> {
    const s = this.summary(id);
    const tombstone = { snapshot: Buffer.from(id, 'hex'), time: Date.now(), by };
    await this.store.writeOwnObject(ObjectKind.tombstone, encodeTombstone(tombstone), () => applyTombstone(this.index, tombstone));
    this.bus.emit('snapshot.deleted', { id, group: s.group });
  }
}
