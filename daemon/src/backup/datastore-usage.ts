// The datastore's usage for the dashboard (capacity, stored bytes, dedup ratio), kept current
// and announced as `datastore.usage`: shortly after snapshots change, when a snapshot's
// logical size is measured, when uploads start or stop being refused for lack of space, and
// every half minute for the file system's free space. With the datastore on S3 it is measured
// every two seconds while a backup runs or anything is not yet in the bucket, so the upload
// queue moves live on the dashboard.

import { statfsSync } from 'node:fs';
import type { DatastoreUsage } from '../../../core/src/api/datastore.js';
import type { EventBus } from '../events.js';
import type { SpaceReserve } from '../store/space-reserve.js';
import type { StoreUsage } from '../store/store-api.js';
import type { SnapshotSizes } from './snapshot-sizes.js';

const DEBOUNCE_MS = 200;
const POLL_MS = 30_000;
const UPLOAD_POLL_MS = 2_000;

export class DatastoreUsageMonitor {
  private current: DatastoreUsage;
  private debounce: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private uploadPoll: NodeJS.Timeout | null = null;
  private readonly openSessions = new Set<string>();
  private unsubscribe = (): void => {};

  constructor(
    private readonly store: StoreUsage,
    private readonly sizes: Pick<SnapshotSizes, 'totals'>,
    private readonly bus: EventBus,
    private readonly reserve: Pick<SpaceReserve, 'status' | 'onChange'>,
  ) {
    this.current = this.measure();
  }

  start(): void {
    const soon = (): void => this.schedule();
    this.bus.on(this, 'snapshot.committed', soon);
    this.bus.on(this, 'snapshot.deleted', soon);
    this.bus.on(this, 'session.started', (s) => {
      this.openSessions.add(s.id);
      soon();
    });
    this.bus.on(this, 'session.ended', (s) => {
      this.openSessions.delete(s.id);
      soon();
    });
    this.unsubscribe = this.reserve.onChange(soon);
    this.poll = setInterval(soon, POLL_MS);
    this.poll.unref();
    this.schedule();
  }

  stop(): void {
    this.bus.removeListeners(this);
    this.unsubscribe();
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
    if (this.uploadPoll) clearTimeout(this.uploadPoll);
    this.debounce = null;
    this.uploadPoll = null;
  }

  get(): DatastoreUsage {
    return this.current;
  }

  /** Measured now (free space included), for a request that asks; the announced figures are unchanged. */
  measureNow(): DatastoreUsage {
    return this.measure();
  }

  /** Recompute soon; several changes in a burst make one measurement and one event. */
  schedule(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      const next = this.measure();
      const { updated: _a, ...a } = next;
      const { updated: _b, ...b } = this.current;
      this.current = next;
      if (JSON.stringify(a) !== JSON.stringify(b)) this.bus.emit('datastore.usage', next);
      if (this.uploadsToFollow(next)) this.followUploads();
    }, DEBOUNCE_MS);
    this.debounce.unref();
  }

  private uploadsToFollow(u: DatastoreUsage): boolean {
    return u.objectStorage !== null && (u.objectStorage.notUploadedBytes > 0 || this.openSessions.size > 0);
  }

  private followUploads(): void {
    if (this.uploadPoll) return;
    this.uploadPoll = setTimeout(() => {
      this.uploadPoll = null;
      this.schedule();
    }, UPLOAD_POLL_MS);
    this.uploadPoll.unref();
  }

  private measure(): DatastoreUsage {
    const fs = statfsSync(this.store.root);
    const stored = this.store.storedBytes();
    const { logicalBytes, pending } = this.sizes.totals();
    const reserve = this.reserve.status();
    return {
      id: this.store.id,
      capacityBytes: fs.blocks * fs.bsize,
      freeBytes: fs.bavail * fs.bsize,
      reserveBytes: reserve.reserveBytes,
      uploadsRefused: reserve.uploadsRefused,
      storedBytes: stored,
      logicalBytes,
      dedupRatio: stored > 0 ? Math.round((logicalBytes / stored) * 100) / 100 : 0,
      snapshots: this.store.snapshots(),
      pendingSizes: pending,
      objectStorage: this.store.objectStorage(),
      updated: new Date().toISOString(),
    };
  }
}
