// Recovery drills on the wire (issue 15): a drill restores a sample of a group's snapshots
// with the real client into a scratch area on the appliance, compares what it restored with
// what the snapshots record, and estimates the group's RTO. See daemon/src/drill/.

import { Type, type Static } from 'typebox';
import { TaskInfo } from './jobs.js';

const Count = Type.Integer({ minimum: 0 });

/** One snapshot restored and compared in a drill. */
export const DrillSnapshot = Type.Object({
  id: Type.String(),
  time: Type.String(),
  /** The whole snapshot was restored (a small one), or a random sample of its files. */
  whole: Type.Boolean(),
  filesCompared: Count,
  bytesCompared: Count,
  /** From starting the client to the first restored byte on disk. */
  timeToFirstByteMs: Count,
  /** The client's whole run. */
  restoreMs: Count,
  /** What differs from the snapshot's record (path: what), at most 20. */
  mismatches: Type.Array(Type.String()),
  /** Paths whose data the appliance could not read back intact. */
  damagedPaths: Type.Array(Type.String()),
  /** The client's exit code and its last line of output when it failed, else null. */
  clientError: Type.Union([Type.String(), Type.Null()]),
});
export type DrillSnapshot = Static<typeof DrillSnapshot>;

export const DrillRun = Type.Object({
  task: Type.String(),
  group: Type.String(),
  started: Type.String(),
  ended: Type.String(),
  /** passed: everything restored and matched; failed: anything did not (or the drill could not run). */
  result: Type.Union([Type.Literal('passed'), Type.Literal('failed')]),
  by: Type.String(),
  snapshots: Type.Array(DrillSnapshot),
  filesCompared: Count,
  bytesCompared: Count,
  bytesPerSecond: Type.Number({ minimum: 0 }),
  filesPerSecond: Type.Number({ minimum: 0 }),
  timeToFirstByteMs: Count,
  /**
   * Time to first byte + the newest snapshot's size / the rate that bounds a recovery: the
   * measured rate, or the plan entry's client link rate when that is slower; null when
   * nothing was restored.
   */
  rtoEstimateSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  /** Which rate the estimate used: the appliance's measured one or the client's link (absent in older runs, null without an estimate). */
  rateBound: Type.Optional(Type.Union([Type.Literal('appliance'), Type.Literal('link'), Type.Null()])),
  /** The newest snapshot's size the estimate restores (absent in older runs). */
  estimateBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The plan entry's RTO target in seconds, or null (no entry or no target). */
  rtoTargetSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type DrillRun = Static<typeof DrillRun>;

export const DrillStatus = Type.Object({
  running: Type.Union([TaskInfo, Type.Null()]),
  /** Finished drills, newest first. */
  history: Type.Array(DrillRun),
});
export type DrillStatus = Static<typeof DrillStatus>;

export const DrillStartResponse = Type.Object({ task: TaskInfo, alreadyRunning: Type.Boolean() });
export type DrillStartResponse = Static<typeof DrillStartResponse>;
