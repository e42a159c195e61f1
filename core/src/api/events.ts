// Every event the daemon emits, by name. The WebSocket forwards them as {type, data};
// the UI imports this map, so an event's shape is written exactly once.
// Other areas (disks, pool, jobs) add their events here.

import type { SessionInfo } from './backup.js';
import type { SnapshotSummary } from './snapshots.js';

export interface HavenEvents {
  'session.started': SessionInfo;
  /** Throttled while uploads run (at most a few per second per session). */
  'session.progress': SessionInfo;
  'session.ended': SessionInfo;
  'snapshot.committed': SnapshotSummary;
  'snapshot.deleted': { id: string; group: string };
}
