// Datastore-wide figures: bytes stored, the logical size of every snapshot, the dedup ratio
// between them, and per group the number of snapshots and the age of the newest.
//
// The logical size of a snapshot is the sum of its files' sizes. Trees dedupe like data, so
// sizes are memoised by tree digest: a new snapshot of a mostly unchanged machine costs a
// walk of its changed directories only. Sizes are computed in the background (at start and
// after each commit), never inside a scrape; until the first pass ends, the logical size and
// the ratio are simply absent from the output.

import type { Logger } from 'pino';
import { toHex } from '../../../core/src/objects/digest.js';
import type { Catalog } from '../backup/catalog.js';
import type { TreeReader } from '../backup/tree-reader.js';
import type { EventBus } from '../events.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { gauge, type MetricFamily } from './registry.js';

/** Bounds the memo (about 150 bytes an entry); past it the memo restarts empty. */
const MAX_MEMO_TREES = 200_000;

export interface DatastoreMeterDeps {
  store: ChunkStore;
  catalog: Catalog;
  trees: TreeReader;
  bus: EventBus;
  log: Pick<Logger, 'warn'>;
  now?: () => number;
}

export class DatastoreMeter {
  private readonly treeSizes = new Map<string, number>();
  private readonly snapshotSizes = new Map<string, number>();
  private complete = false;
  private work: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: DatastoreMeterDeps) {}

  start(): void {
    this.deps.bus.on(this, 'snapshot.committed', () => this.refresh());
    this.deps.bus.on(this, 'snapshot.deleted', (d) => this.snapshotSizes.delete(d.id));
    this.refresh();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.bus.removeListeners(this);
    await this.work;
  }

  /** Sizes every snapshot not sized yet (queued behind any pass already running). */
  refresh(): Promise<void> {
    this.work = this.work.then(() => this.sizeAll()).catch((err: unknown) => {
      if (!this.stopped) this.deps.log.warn({ err }, 'cannot compute snapshot sizes for metrics');
    });
    return this.work;
  }

  private async sizeAll(): Promise<void> {
    for (const group of this.deps.catalog.groups()) {
      for (const s of this.deps.catalog.snapshots(group.name)) {
        if (this.stopped) return;
        if (!this.snapshotSizes.has(s.id)) this.snapshotSizes.set(s.id, await this.treeSize(Buffer.from(s.root, 'hex')));
      }
    }
    this.complete = true;
  }

  private async treeSize(digest: Uint8Array): Promise<number> {
    const key = toHex(digest);
    const known = this.treeSizes.get(key);
    if (known !== undefined) return known;
    let size = 0;
    for (const e of await this.deps.trees.entries(digest)) {
      if (this.stopped) return 0;
      size += e.subtree ? await this.treeSize(e.subtree) : e.type === 'file' ? e.size : 0;
    }
    if (this.treeSizes.size >= MAX_MEMO_TREES) this.treeSizes.clear();
    this.treeSizes.set(key, size);
    return size;
  }

  collect(): MetricFamily[] {
    let stored = 0;
    for (const { value } of this.deps.store.index.segments.getRange()) stored += value.indexedLength;
    const out: MetricFamily[] = [
      gauge('haven_datastore_stored_bytes', 'Bytes of records in the datastore\'s segments (compressed, deduplicated)', stored),
    ];
    if (this.complete) {
      let logical = 0;
      for (const size of this.snapshotSizes.values()) logical += size;
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
