// Every event the daemon emits, by name. The WebSocket forwards them as {type, data};
// the UI imports this map, so an event's shape is written exactly once.
// Other areas (disks, pool, jobs) add their events here.

import type { SessionInfo } from './backup.js';
import type { DiskRecord } from './disks.js';
import type { AlertInfo, TaskInfo, TaskLogLine } from './jobs.js';
import type { RpoState } from './plan.js';
import type { PoolStatus } from './pool.js';
import type { SmartReport } from './smart.js';
import type { DatastoreUsage } from './datastore.js';
import type { RepairOutcome } from './repair.js';
import type { SnapshotSummary } from './snapshots.js';
import type { SwapInfo, SwapProgress, SwapStep } from './swap.js';

export interface HavenEvents {
  'session.started': SessionInfo;
  /** Throttled while uploads run (at most a few per second per session). */
  'session.progress': SessionInfo;
  'session.ended': SessionInfo;
  'snapshot.committed': SnapshotSummary;
  'snapshot.deleted': { id: string; group: string };
  /** Protected or unprotected: the summary as it is now. */
  'snapshot.changed': SnapshotSummary;
  /** Damaged or missing objects were fetched from a replication peer (or could not be). */
  'store.repaired': RepairOutcome;
  // disks
  'disk.added': DiskRecord;
  /** The disk went missing (it is archived, not forgotten) or was purged (`purged: true`). */
  'disk.removed': DiskRecord & { purged?: boolean };
  'disk.changed': DiskRecord;
  'smart.updated': SmartReport;
  // jobs
  'task.started': TaskInfo;
  /** Throttled (a few per second per task); carries no log. */
  'task.progress': { id: string; progress: number | null; message: string | null };
  'task.log': { id: string; line: TaskLogLine };
  'task.ended': TaskInfo;
  // alerts
  'alert.raised': AlertInfo;
  /** Acknowledged, or its message/evidence changed without getting worse. */
  'alert.changed': AlertInfo;
  'alert.cleared': AlertInfo;
  /** A plan entry's RPO state changed (null: the entry was removed). */
  'plan.changed': { group: string; state: RpoState | null };
  /** On the source: an offsite (by its replication token) asked for changes from a new cursor, confirming what lies before it. */
  'offsite.confirmed': { tokenId: string; tokenName: string; cursor: { epoch: string; seq: number } | null; at: string };
  /** Recomputed shortly after snapshots change and periodically (free space). */
  'datastore.usage': DatastoreUsage;
  // pool and disk swap
  /** Mounted, degraded, a member missing or back, error counters grew, members changed, scrub ended. */
  'pool.changed': PoolStatus;
  /** Every step change and technician action (the whole record: the UI renders it as is). */
  'swap.changed': SwapInfo;
  /** Throttled (a few per second) while the appliance works on a step. */
  'swap.progress': SwapProgress & { id: string; step: SwapStep };
}
