// Reports on the wire (issue 15, step 4 of the backup practice: keep accurate reports): per
// group and per datastore over a period, what was backed up and missed, how well the RPO was
// kept, new and deduplicated data, durations, verification and drill results and the offsite
// state. How each figure is derived is in daemon/src/report/ and docs/ARCHITECTURE.md.

import { Type, type Static } from 'typebox';
import { GroupName } from './common.js';
import { NotConfigured, PlanMode, RpoState } from './plan.js';

const Count = Type.Integer({ minimum: 0 });
const Bytes = Type.Integer({ minimum: 0 });
const Iso = Type.String();
const IsoOrNull = Type.Union([Type.String(), Type.Null()]);

/** A date (`2026-12-01`, midnight UTC), a date and time (ISO 8601), or for `since` a duration back from `until` (`7d`). */
export const PeriodText = Type.String({ minLength: 2, maxLength: 40 });

export const ReportFormat = Type.Union([Type.Literal('json'), Type.Literal('csv')]);
export type ReportFormat = Static<typeof ReportFormat>;

/** GET /api/v1/reports?group=&since=&until=&format= (default: every group, the last 7 days, JSON). */
export const ReportQuery = Type.Object(
  {
    group: Type.Optional(GroupName),
    since: Type.Optional(PeriodText),
    until: Type.Optional(PeriodText),
    format: Type.Optional(ReportFormat),
  },
  { additionalProperties: false },
);
export type ReportQuery = Static<typeof ReportQuery>;

/**
 * Expected backups from the plan entry's schedule: each cron slot in the period (from the
 * entry's creation when later) is missed when no snapshot committed before the next slot.
 * `counted` when judged; otherwise why not.
 */
export const MissedBackups = Type.Object({
  status: Type.Union([Type.Literal('counted'), Type.Literal('no schedule'), Type.Literal('unplanned'), Type.Literal('too many slots')]),
  schedule: IsoOrNull,
  /** Slots judged: their next slot has come (null unless counted). */
  expected: Type.Union([Count, Type.Null()]),
  missed: Type.Union([Count, Type.Null()]),
  /** The newest slot, whose window is still open (not judged yet), or null. */
  pending: IsoOrNull,
  /** The missed slots (ISO 8601), the first 100. */
  missedSlots: Type.Array(Type.String()),
});
export type MissedBackups = Static<typeof MissedBackups>;

/**
 * The share of the period (from the entry's creation when later, up to now) during which the
 * age of the newest good snapshot (completed, not found damaged) stayed below the RPO.
 */
export const RpoCompliance = Type.Object({
  rpo: Type.Union([Type.String(), Type.Null()]),
  /** 0..1; null when the group has no plan entry or nothing of the period was measured. */
  compliance: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  measuredSeconds: Count,
  breachSeconds: Count,
  /** The longest the group went without a new good snapshot within the period (seconds), and from when. */
  longestGapSeconds: Type.Union([Count, Type.Null()]),
  longestGapFrom: IsoOrNull,
});
export type RpoCompliance = Static<typeof RpoCompliance>;

export const DataTotals = Type.Object({
  /** Sum of the snapshots' file sizes (as the client counted them). */
  logicalBytes: Bytes,
  /** Uncompressed size of the objects new to the datastore, and what they took stored (compressed). */
  newBytes: Bytes,
  storedNewBytes: Bytes,
  /** logicalBytes − newBytes, at least 0: what the snapshots reference but did not add. */
  dedupBytes: Bytes,
  objectsNew: Count,
  /** Objects the appliance already held: answered present to `has` or uploaded again. */
  objectsDeduplicated: Count,
});
export type DataTotals = Static<typeof DataTotals>;

export const Durations = Type.Object({
  /** Snapshots with a duration on record. */
  measured: Count,
  totalMs: Count,
  averageMs: Type.Union([Count, Type.Null()]),
  longestMs: Type.Union([Count, Type.Null()]),
  /**
   * `session`: from the session's start to its commit, measured by the appliance
   * (stats.sessionDurationMs); `client`: the client's own run (stats.durationMs), for snapshots
   * committed before the appliance recorded it; `mixed`: both; `none`: no snapshot had either.
   */
  source: Type.Union([Type.Literal('session'), Type.Literal('client'), Type.Literal('mixed'), Type.Literal('none')]),
});
export type Durations = Static<typeof Durations>;

export const VerificationResults = Type.Object({
  /** Verification runs that ended in the period and covered the group (runs of every snapshot, or of this group). */
  runs: Count,
  failedRuns: Count,
  /** Snapshots of the group verification holds damaged now, taken or found in the period. */
  damagedSnapshots: Type.Array(Type.Object({ id: Type.String(), time: Iso, found: Iso })),
});
export type VerificationResults = Static<typeof VerificationResults>;

export const DrillResults = Type.Object({
  /** Drills that ended in the period. */
  runs: Count,
  passed: Count,
  failed: Count,
  /** passed / runs; null without a run. */
  passRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  /** The newest drill in the period that estimated an RTO, with the target it was held to. */
  latestRtoEstimateSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  rtoTargetSeconds: Type.Union([Count, Type.Null()]),
  latestDrill: IsoOrNull,
  latestResult: Type.Union([Type.Literal('passed'), Type.Literal('failed'), Type.Null()]),
});
export type DrillResults = Static<typeof DrillResults>;

/** What is known of the group's offsite copy on this appliance; not configured when nothing is. */
export const OffsiteKnown = Type.Object({
  configured: Type.Literal(true),
  state: Type.String(),
  reason: Type.String(),
  lagSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
});
export const OffsiteReport = Type.Union([OffsiteKnown, NotConfigured]);
export type OffsiteReport = Static<typeof OffsiteReport>;

/** One day of the period (in the appliance's time zone), for the charts. */
export const ReportDay = Type.Object({
  day: Type.String(),
  backups: Count,
  newBytes: Bytes,
  dedupBytes: Bytes,
  /** That day's RPO compliance, null when not measured. */
  compliance: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
});
export type ReportDay = Static<typeof ReportDay>;

export const GroupReport = Type.Object({
  group: GroupName,
  planned: Type.Boolean(),
  mode: Type.Union([PlanMode, Type.Null()]),
  /** The RPO state now (UNPLANNED without an entry). */
  state: Type.Union([RpoState, Type.Literal('UNPLANNED')]),
  /**
   * Snapshots committed in the period, including those deleted since (`deletedSince`: pruned or
   * deleted; their data and durations are gone with their records and not in the figures below).
   */
  backups: Type.Object({
    taken: Count,
    deletedSince: Count,
    /**
     * Of the snapshots in the period still stored, those whose backup reported warnings (files
     * skipped, or changed while read: copies that may not hold the source whole), and the
     * warnings counted over them (stats.warnings; the snapshot's page names them).
     */
    withWarnings: Count,
    warnings: Count,
    first: IsoOrNull,
    last: IsoOrNull,
  }),
  missed: MissedBackups,
  rpo: RpoCompliance,
  data: DataTotals,
  durations: Durations,
  verification: VerificationResults,
  drills: DrillResults,
  offsite: OffsiteReport,
  days: Type.Array(ReportDay),
});
export type GroupReport = Static<typeof GroupReport>;

export const DatastoreReport = Type.Object({
  id: Type.String(),
  /** Now: stored bytes of indexed records, the logical size of every snapshot, groups and snapshots. */
  storedBytes: Bytes,
  logicalBytes: Bytes,
  groups: Count,
  snapshots: Count,
  /** In the period, over the groups of the report. */
  backupsTaken: Count,
  /** Of those, backups still stored whose backup reported warnings (GroupReport.backups.withWarnings). */
  backupsWithWarnings: Count,
  missed: Count,
  data: DataTotals,
  verificationRuns: Count,
  failedVerificationRuns: Count,
  damagedSnapshots: Count,
  drills: Count,
  failedDrills: Count,
  /** Garbage collection runs that ended in the period, and what they gave back. */
  gcRuns: Count,
  gcReclaimedBytes: Bytes,
  gcCompactionFreedBytes: Bytes,
});
export type DatastoreReport = Static<typeof DatastoreReport>;

export const Report = Type.Object({
  since: Iso,
  until: Iso,
  generated: Iso,
  /** The zone of the days and cron slots. */
  timeZone: Type.String(),
  /** The group asked for, or null for every group. */
  group: Type.Union([GroupName, Type.Null()]),
  groups: Type.Array(GroupReport),
  datastore: DatastoreReport,
});
export type Report = Static<typeof Report>;
