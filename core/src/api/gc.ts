// Garbage collection on the wire (issue 13): a run's summary, the datastore's GC status and
// the history of runs. How the collector works is in daemon/src/gc/ and docs/ARCHITECTURE.md.

import { Type, type Static } from 'typebox';
import { TaskInfo } from './jobs.js';

const Count = Type.Integer({ minimum: 0 });

export const CompactionSummary = Type.Object({
  /** Sealed segments rewritten (live records copied and re-verified) and then removed. */
  segments: Count,
  /** Live bytes copied into new segments. */
  bytesRewritten: Count,
  /** Bytes of segment files removed (what the file system got back). */
  bytesFreed: Count,
  /** Segments over the threshold left for a later run (byte budget of this run spent). */
  segmentsLeft: Count,
});
export type CompactionSummary = Static<typeof CompactionSummary>;

/** What one `havend gc` run did. */
export const GcSummary = Type.Object({
  /** Objects reachable from snapshots, open sessions' pins and parents, and holds. */
  marked: Count,
  /** Snapshot roots walked (live snapshots, open sessions' parents, held snapshots). */
  roots: Count,
  /** Objects the previous run condemned that this run removed from the index. */
  reclaimedObjects: Count,
  /** Their stored bytes (dead in their segments until compaction rewrites them). */
  reclaimedBytes: Count,
  /** Objects the previous run condemned that were referenced again and kept. */
  revived: Count,
  /** Objects unreferenced now: the next run reclaims them unless referenced again. */
  condemnedObjects: Count,
  condemnedBytes: Count,
  /**
   * Why this run reclaimed nothing although objects were condemned (a session open during the
   * previous run is still open), or null.
   */
  deferred: Type.Union([Type.String(), Type.Null()]),
  compaction: CompactionSummary,
  /** Bytes of indexed records in the segments before and after the run. */
  storedBytesBefore: Count,
  storedBytesAfter: Count,
  /** Bytes in segments held by no index entry after the run (what compaction could still free). */
  deadBytes: Count,
  durationMs: Count,
  /** Milliseconds per phase: mark, sweep (condemn and reclaim), compact. */
  phases: Type.Object({ markMs: Count, sweepMs: Count, compactMs: Count }),
});
export type GcSummary = Static<typeof GcSummary>;

/** One finished run, kept in the state db (newest first in GcStatus.history). */
export const GcRun = Type.Object({
  task: Type.String(),
  started: Type.String(),
  ended: Type.String(),
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled'), Type.Literal('interrupted')]),
  /** Who asked: an admin's name, or 'schedule'. */
  by: Type.String(),
  summary: Type.Union([GcSummary, Type.Null()]),
  /** Why it failed, or null. */
  error: Type.Union([Type.String(), Type.Null()]),
});
export type GcRun = Static<typeof GcRun>;

export const GcStatus = Type.Object({
  /** The run in progress, if any. */
  running: Type.Union([TaskInfo, Type.Null()]),
  /** Cron expression of the scheduled run; '' when only run on demand. */
  schedule: Type.String(),
  /** Objects and bytes condemned by the last run, reclaimed by the next unless revived. */
  condemnedObjects: Count,
  condemnedBytes: Count,
  /** Condemned bytes plus dead bytes in segments as of the last run: what GC can give back. */
  reclaimableBytes: Count,
  history: Type.Array(GcRun),
});
export type GcStatus = Static<typeof GcStatus>;

/** POST /api/v1/gc answers at once with the task it started (or the one already running). */
export const GcStartResponse = Type.Object({ task: TaskInfo, alreadyRunning: Type.Boolean() });
export type GcStartResponse = Static<typeof GcStartResponse>;
