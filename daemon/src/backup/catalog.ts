// Snapshot listing, lookup by id or unique prefix, deletion and protection, over the store's catalogue
// (a deletion is a tombstone record there, so that rebuilding the index from segments
// honours it; the data is reclaimed by GC later). This layer adds the typed errors and the
// bus event.

import { HavenError } from '../../../core/src/errors.js';
import type { GroupSummary, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { EventBus } from '../events.js';
import type { DeletedMany, SnapshotCatalog } from '../store/store-api.js';

export class Catalog {
  constructor(private readonly store: SnapshotCatalog, private readonly bus: EventBus) {}

  groups(visible: (group: string) => boolean = () => true): GroupSummary[] {
    return this.store.groups(visible);
  }

  /** Snapshots of a group, oldest first; with `last`, the newest `last` of them. */
  snapshots(group: string, last?: number): SnapshotSummary[] {
    return this.store.list(group, last);
  }

  countIn(group: string): number {
    return this.store.countIn(group);
  }

  latest(group: string): SnapshotSummary | null {
    return this.store.latest(group);
  }

  private summary(id: string): SnapshotSummary {
    const s = this.store.get(id);
    if (!s) throw new HavenError('SNAPSHOT_NOT_FOUND', { id });
    return s;
  }

  /** Resolves a full id or a unique prefix of at least 6 hex digits. */
  resolve(ref: string): SnapshotSummary {
    if (!/^[0-9a-f]{6,64}$/.test(ref)) throw new HavenError('SNAPSHOT_NOT_FOUND', { id: ref });
    if (ref.length === 64) return this.summary(ref);
    const matches = this.store.idsStartingWith(ref, 2);
    if (matches.length > 1) throw new HavenError('SNAPSHOT_AMBIGUOUS', { id: ref });
    if (matches.length === 0) throw new HavenError('SNAPSHOT_NOT_FOUND', { id: ref });
    return this.summary(matches[0] as string);
  }

  /** Refused for a protected snapshot (SNAPSHOT_PROTECTED, from the store). */
  async delete(id: string, by: string): Promise<void> {
    const s = this.summary(id);
    await this.store.delete(id, by);
    this.bus.emit('snapshot.deleted', { id, group: s.group });
  }

  /** Deletes several in one commit; refuses (and reports) those unknown or protected. */
  async deleteMany(ids: readonly string[], by: string): Promise<DeletedMany> {
    const out = await this.store.deleteMany(ids, by);
    for (const d of out.deleted) this.bus.emit('snapshot.deleted', d);
    return out;
  }

  /** Protects from deletion and pruning; answers the summary (unchanged if it already was). */
  async protect(id: string, by: string): Promise<SnapshotSummary> {
    return this.changed(this.summary(id), await this.store.protect(id, by));
  }

  async unprotect(id: string, by: string): Promise<SnapshotSummary> {
    return this.changed(this.summary(id), await this.store.unprotect(id, by));
  }

  private changed(before: SnapshotSummary, after: SnapshotSummary): SnapshotSummary {
    if (before.protected !== after.protected) this.bus.emit('snapshot.changed', after);
    return after;
  }
}
