// The logical size of each snapshot (the sum of its file sizes), for the dedup ratio and the
// UI. Computed in the background after a commit by walking the snapshot's trees (their
// entries' sizes read without decoding the rest: TreeReader.totals); subtrees are memoized by
// digest, so an incremental snapshot costs what changed. Results persist in
// the state database, so a restart only computes snapshots it has never measured.

import type { Database } from 'lmdb';
import { fromHex, toHex } from '../../../core/src/objects/digest.js';
import type { EventBus } from '../events.js';
import type { StateDb } from '../state/state-db.js';
import type { SnapshotCatalog } from '../store/store-api.js';
import type { TreeReader } from './tree-reader.js';

export interface TreeSize {
  bytes: number;
  files: number;
}

/** Memoized subtrees kept in memory; beyond it the memo starts over (sizes stay correct). */
const MEMO_LIMIT = 200_000;

export class SnapshotSizes {
  private readonly db: Database<TreeSize, string>;
  private readonly memo = new Map<string, TreeSize>();
  private readonly queue: string[] = [];
  private running: Promise<void> | null = null;
  private totalBytes = 0;
  /** The snapshot drain is measuring, and whether it was deleted meanwhile. */
  private measuring: { id: string; deleted: boolean } | null = null;
  private stopped = false;

  constructor(
    private readonly catalog: Pick<SnapshotCatalog, 'ids' | 'get'>,
    private readonly trees: TreeReader,
    private readonly bus: EventBus,
    state: StateDb,
    private readonly onChange: () => void,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {
    this.db = state.db<TreeSize>('snapshot-sizes');
  }

  start(): void {
    const known = new Set(this.catalog.ids());
    // The sum over every stored size, once: afterwards it moves by each measurement and
    // deletion (a sum over the whole table after each of them was quadratic: tens of thousands
    // of snapshots measured at start, or pruned at once, cost CPU-minutes). Sizes of snapshots
    // deleted while we were not looking are forgotten, and not counted.
    let total = 0;
    for (const { key, value } of this.db.getRange()) {
      if (known.has(key)) total += value.bytes;
      else void this.db.remove(key);
    }
    this.totalBytes = total;
    for (const id of known) if (!this.db.doesExist(id)) this.enqueue(id);
    this.bus.on(this, 'snapshot.committed', (s) => this.enqueue(s.id));
    this.bus.on(this, 'snapshot.deleted', (s) => {
      // The one being measured is settled by drain, whose write may not be visible yet.
      if (this.measuring?.id === s.id) {
        this.measuring.deleted = true;
        return;
      }
      const had = this.db.get(s.id);
      if (!had) return; // never measured: nothing counted
      this.totalBytes -= had.bytes;
      void this.db.remove(s.id).then(() => this.onChange());
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.bus.removeListeners(this);
    await this.running;
  }

  get(id: string): TreeSize | undefined {
    return this.db.get(id);
  }

  /** Sum over measured snapshots, and how many are still waiting to be measured. */
  totals(): { logicalBytes: number; pending: number } {
    return { logicalBytes: this.totalBytes, pending: this.queue.length + (this.running ? 1 : 0) };
  }

  private enqueue(id: string): void {
    this.queue.push(id);
    this.running ??= this.drain().finally(() => {
      this.running = null;
      this.onChange();
    });
  }

  private async drain(): Promise<void> {
    for (let id = this.queue.shift(); id !== undefined && !this.stopped; id = this.queue.shift()) {
      const entry = this.catalog.get(id);
      if (!entry) continue; // deleted meanwhile
      const measuring = { id, deleted: false };
      this.measuring = measuring;
      try {
        const size = await this.treeSize(fromHex(entry.root));
        if (measuring.deleted) continue;
        const had = this.db.get(id);
        this.totalBytes += size.bytes - (had?.bytes ?? 0);
        await this.db.put(id, size);
        if (measuring.deleted) {
          this.totalBytes -= size.bytes;
          await this.db.remove(id);
        }
        this.onChange();
      } catch (err) {
        this.log.warn({ err, snapshot: id }, 'cannot measure snapshot size');
      } finally {
        this.measuring = null;
      }
    }
  }

  private async treeSize(tree: Uint8Array): Promise<TreeSize> {
    const key = toHex(tree);
    const cached = this.memo.get(key);
    if (cached) return cached;
    const size: TreeSize = { bytes: 0, files: 0 };
    for (const own of await this.trees.totals(tree)) {
      size.bytes += own.bytes;
      size.files += own.files;
      for (const subtree of own.subtrees) {
        const sub = await this.treeSize(subtree);
        size.bytes += sub.bytes;
        size.files += sub.files;
      }
    }
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(key, size);
    return size;
  }
}
