// Verification on the wire (issue 15): a run's summary, the snapshots found damaged, the
// quarantine, and the history of runs. How verification works is in daemon/src/verify/ and
// docs/ARCHITECTURE.md ("Verification").

import { Type, type Static } from 'typebox';
import { GroupName } from './common.js';
import { TaskInfo } from './jobs.js';

const Count = Type.Integer({ minimum: 0 });

export const VerifyRunKind = Type.Union([
  /** Snapshots committed since the last such run: what no earlier run covered. */
  Type.Literal('new-snapshots'),
  /** The nightly share of every stored object (1/t of them), and objects not verified for too long. */
  Type.Literal('rotation'),
  /** On demand: everything the chosen snapshots reach, read again whatever was verified before. */
  Type.Literal('full'),
]);
export type VerifyRunKind = Static<typeof VerifyRunKind>;

export const VerifySummary = Type.Object({
  /** Snapshots walked. */
  snapshots: Count,
  /** Objects read again from the segments and re-hashed. */
  objects: Count,
  /** Their raw (decompressed) bytes. */
  bytes: Count,
  /** Objects skipped because an earlier run covered them (new-snapshots runs). */
  covered: Count,
  /** Objects this run found damaged (quarantined now). */
  damagedObjects: Count,
  /** Failures that prove nothing about the data (a read error of the device), at most 20. */
  problems: Type.Array(Type.String()),
  durationMs: Count,
});
export type VerifySummary = Static<typeof VerifySummary>;

export const VerifyRun = Type.Object({
  task: Type.String(),
  kind: VerifyRunKind,
  /** The group a full run was limited to, or null. */
  group: Type.Union([Type.String(), Type.Null()]),
  started: Type.String(),
  ended: Type.String(),
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled'), Type.Literal('interrupted')]),
  /** Who asked: an admin's name, 'schedule' or 'commit'. */
  by: Type.String(),
  summary: Type.Union([VerifySummary, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type VerifyRun = Static<typeof VerifyRun>;

/** A snapshot that reaches a quarantined object: it does not restore bit-exact until healed. */
export const DamagedSnapshot = Type.Object({
  id: Type.String(),
  group: Type.String(),
  /** The snapshot's time (ISO 8601). */
  time: Type.String(),
  /** Damaged objects it reaches (up to 20), hex. */
  digests: Type.Array(Type.String()),
  /** When verification found it damaged. */
  found: Type.String(),
});
export type DamagedSnapshot = Static<typeof DamagedSnapshot>;

export const QuarantinedObjectInfo = Type.Object({ digest: Type.String(), reason: Type.String(), since: Type.String() });

export const VerifyStatus = Type.Object({
  /** The run in progress, if any. */
  running: Type.Union([TaskInfo, Type.Null()]),
  /** Cron expression of the nightly rotation; '' when it is off. */
  schedule: Type.String(),
  rotationNights: Count,
  damagedSnapshots: Type.Array(DamagedSnapshot),
  /** Quarantined objects (up to 100) and how many there are. */
  quarantined: Type.Array(QuarantinedObjectInfo),
  quarantinedCount: Count,
  /** Objects with a verification on record, of all indexed objects. */
  verifiedObjects: Count,
  indexedObjects: Count,
  /** Finished runs, newest first. */
  history: Type.Array(VerifyRun),
});
export type VerifyStatus = Static<typeof VerifyStatus>;

export const VerifyStartRequest = Type.Object({
  /** Only this group's snapshots (default: every snapshot). */
  group: Type.Optional(GroupName),
}, { additionalProperties: false });
export type VerifyStartRequest = Static<typeof VerifyStartRequest>;

/** POST /api/v1/verify answers at once with the task it started (queued after a run in flight). */
export const VerifyStartResponse = Type.Object({ task: TaskInfo });
export type VerifyStartResponse = Static<typeof VerifyStartResponse>;
