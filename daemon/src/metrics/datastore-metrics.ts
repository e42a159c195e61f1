// Datastore-wide figures: bytes stored, the logical size of every snapshot, the dedup ratio
// between them, per group the number of snapshots and the age of the newest, and the file
// system's free space beside the reserve below which uploads are refused.
//
// Sizes come from the one SnapshotSizes service (measured in the background after each
// commit, persisted in the state database), the same figures the dashboard shows; while
// snapshots are still being measured the logical size and the ratio are simply absent.

import type { Catalog } from '../backup/catalog.js';
import type { SnapshotSizes } from '../backup/snapshot-sizes.js';
import type { SpaceReserve } from '../store/space-reserve.js';
import type { StoreUsage } from '../store/store-api.js';
import { gauge, type MetricFamily } from './registry.js';

export interface DatastoreMeterDeps {
  store: Pick<StoreUsage, 'storedBytes'>;
  catalog: Catalog;
  sizes: Pick<SnapshotSizes, 'totals'>;
  reserve: Pick<SpaceReserve, 'status'>;
  now?: () => number;
}

export class DatastoreMeter {
  constructor(private readonly deps: DatastoreMeterDeps) {}

  collect(): MetricFamily[] {
    const stored = this.deps.store.storedBytes();
    const sizes = this.deps.sizes.totals();
    // The reserve's last reading (at most a few seconds old), less what uploads wrote since.
    const space = this.deps.reserve.status();
    const out: MetricFamily[] = [
      gauge('haven_datastore_stored_bytes', 'Bytes of records in the datastore\'s segments (compressed, deduplicated)', stored),
      gauge('haven_datastore_capacity_bytes', 'Size of the file system holding the datastore', space.capacityBytes),
      gauge('haven_datastore_free_bytes', 'Bytes free on the file system holding the datastore', space.freeBytes),
      gauge('haven_datastore_reserve_bytes', 'Free space kept for prune, GC and compaction: client uploads are refused below it', space.reserveBytes),
      gauge('haven_datastore_uploads_refused', '1 while client uploads are refused for lack of space (STORAGE_FULL), else 0', space.uploadsRefused ? 1 : 0),
    ];
    if (sizes.pending === 0) {
      const logical = sizes.logicalBytes;
      out.push(gauge('haven_datastore_logical_bytes', 'Sum of the file sizes of every snapshot', logical));
      // As Proxmox Backup Server reports its deduplication factor: logical over stored, so
      // compression counts too. 0 while nothing is stored.
      out.push(gauge('haven_dedup_ratio', 'Logical bytes of all snapshots per byte stored (dedup and compression together)', stored > 0 ? logical / stored : 0));
    }
    const now = (this.deps.now ?? Date.now)();
    const counts = [];
    const newest = [];
    const age = [];
    for (const g of this.deps.catalog.groups()) {
      const labels = { group: g.name };
      counts.push({ labels, value: g.snapshots });
      if (g.latest) {
        const t = Date.parse(g.latest.time);
        newest.push({ labels, value: t / 1000 });
        age.push({ labels, value: Math.max(0, (now - t) / 1000) });
      }
    }
    out.push(
      gauge('haven_snapshots', 'Snapshots per group', counts),
      gauge('haven_snapshot_newest_timestamp_seconds', 'Time of the newest snapshot per group (Unix seconds)', newest),
      gauge('haven_snapshot_newest_age_seconds', 'Age of the newest snapshot per group', age),
    );
    return out;
  }
}
