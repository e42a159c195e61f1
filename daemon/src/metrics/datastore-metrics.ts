// Datastore-wide figures: bytes stored, the logical size of every snapshot, the dedup ratio
// between them, and per group the number of snapshots and the age of the newest.
//
// Sizes come from the one SnapshotSizes service (measured in the background after each
// commit, persisted in the state database), the same figures the dashboard shows; while
// snapshots are still being measured the logical size and the ratio are simply absent.

import type { Catalog } from '../backup/catalog.js';
import type { SnapshotSizes } from '../backup/snapshot-sizes.js';
import type { StoreUsage } from '../store/store-api.js';
import { gauge, type MetricFamily } from './registry.js';

export interface DatastoreMeterDeps {
  store: Pick<StoreUsage, 'storedBytes'>;
  catalog: Catalog;
  sizes: Pick<SnapshotSizes, 'totals'>;
  now?: () => number;
}

export class DatastoreMeter {
  constructor(private readonly deps: DatastoreMeterDeps) {}

  collect(): MetricFamily[] {
    const stored = this.deps.store.storedBytes();
    const sizes = this.deps.sizes.totals();
    const out: MetricFamily[] = [
      gauge('haven_datastore_stored_bytes', 'Bytes of records in the datastore\'s segments (compressed, deduplicated)', stored),
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
