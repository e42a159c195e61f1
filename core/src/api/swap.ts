// The guided disk swap on the wire (DESIGN section 5). One record per workflow, persisted in
// the state db and sent whole in `swap.changed`; the admin UI shows one screen per step:
// what the technician must do (`instruction`), which actions are accepted (`allowed`), and
// live progress while the appliance works.

import { Type, type Static } from 'typebox';
import { DiskId } from './disks.js';
import { ConfirmCode, ScrubCounters } from './pool.js';

export const SwapStep = Type.Union([
  /** Find the disk to replace (LED or activity light) and confirm its serial. */
  Type.Literal('locate'),
  /** Insert the new disk and confirm wiping it. */
  Type.Literal('insert-new'),
  /** Wipe the new disk, `btrfs replace` onto it (and re-mirror chunks written while degraded). */
  Type.Literal('rebuilding'),
  Type.Literal('scrubbing'),
  /** Re-read and re-hash every record of the datastore; every snapshot's objects present. */
  Type.Literal('verifying'),
  /** Failing-but-present path only: pull the old disk, now out of the pool. */
  Type.Literal('remove-old'),
  Type.Literal('done'),
  Type.Literal('cancelled'),
]);
export type SwapStep = Static<typeof SwapStep>;

/** `waiting`: for the technician; `working`: the appliance is busy; `failed`: retry or cancel. */
export const SwapState = Type.Union([Type.Literal('waiting'), Type.Literal('working'), Type.Literal('failed'), Type.Literal('finished')]);
export type SwapState = Static<typeof SwapState>;

/** present: the old disk still serves while it is copied (`replace -r`); missing: rebuilt from the mirrors. */
export const SwapPath = Type.Union([Type.Literal('present'), Type.Literal('missing')]);
export type SwapPath = Static<typeof SwapPath>;

export const SwapReason = Type.Union([Type.Literal('missing'), Type.Literal('smart'), Type.Literal('pool-errors'), Type.Literal('admin')]);
export type SwapReason = Static<typeof SwapReason>;

export const SwapAction = Type.Union([Type.Literal('confirm'), Type.Literal('cancel'), Type.Literal('retry')]);
export type SwapAction = Static<typeof SwapAction>;

export const SwapDisk = Type.Object({
  diskId: Type.Union([DiskId, Type.Null()]),
  devid: Type.Union([Type.Integer(), Type.Null()]),
  serial: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  sizeBytes: Type.Number(),
  /** Physical slot: by-path link or sysfs path (never the kernel name). */
  slot: Type.Union([Type.String(), Type.Null()]),
  devicePath: Type.Union([Type.String(), Type.Null()]),
  present: Type.Boolean(),
  /** What the technician types the last four characters of: the serial, or (no serial) the disk id. */
  confirmWith: Type.Union([Type.Literal('serial'), Type.Literal('disk id')]),
  /** What is on the disk now (file systems, partitions), shown before its wipe is confirmed. */
  contents: Type.Array(Type.String()),
});
export type SwapDisk = Static<typeof SwapDisk>;

export const SwapStepRecord = Type.Object({
  step: SwapStep,
  title: Type.String(),
  state: Type.Union([Type.Literal('done'), Type.Literal('current'), Type.Literal('pending'), Type.Literal('skipped')]),
  started: Type.Union([Type.String(), Type.Null()]),
  ended: Type.Union([Type.String(), Type.Null()]),
});
export type SwapStepRecord = Static<typeof SwapStepRecord>;

export const SwapLocate = Type.Object({
  /** ledctl (enclosure LED), activity (a read pattern on the activity light), none (the disk is gone). */
  method: Type.Union([Type.Literal('ledctl'), Type.Literal('activity'), Type.Literal('none')]),
  active: Type.Boolean(),
  detail: Type.String(),
});
export type SwapLocate = Static<typeof SwapLocate>;

export const SwapProgress = Type.Object({
  fraction: Type.Union([Type.Number(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
});
export type SwapProgress = Static<typeof SwapProgress>;

export const SwapResults = Type.Object({
  replace: Type.Optional(Type.Object({ started: Type.String(), finished: Type.String(), seconds: Type.Number() })),
  scrub: Type.Optional(Type.Object({ status: Type.String(), counters: ScrubCounters })),
  verify: Type.Optional(Type.Object({ snapshots: Type.Integer(), records: Type.Integer(), bytes: Type.Number(), problems: Type.Array(Type.String()) })),
});
export type SwapResults = Static<typeof SwapResults>;

export const SwapInfo = Type.Object({
  id: Type.String(),
  pool: Type.String(),
  created: Type.String(),
  updated: Type.String(),
  path: SwapPath,
  reason: SwapReason,
  step: SwapStep,
  state: SwapState,
  /** What the technician must do now, in plain words (or what the appliance is doing). */
  instruction: Type.String(),
  allowed: Type.Array(SwapAction),
  old: SwapDisk,
  new: Type.Union([SwapDisk, Type.Null()]),
  /** At insert-new: disks that could take the old one's place (present, unassigned, large enough). */
  candidates: Type.Array(SwapDisk),
  locate: Type.Union([SwapLocate, Type.Null()]),
  progress: Type.Union([SwapProgress, Type.Null()]),
  steps: Type.Array(SwapStepRecord),
  results: SwapResults,
  /** The task running the appliance's part now (its log tells what ran). */
  taskId: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
});
export type SwapInfo = Static<typeof SwapInfo>;

export const SwapList = Type.Object({ swaps: Type.Array(SwapInfo) });
export type SwapList = Static<typeof SwapList>;

export const StartSwapRequest = Type.Object(
  {
    /** The member to replace, by inventory disk ... */
    disk: Type.Optional(DiskId),
    /** ... or by btrfs devid (a missing member the inventory never knew). */
    devid: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type StartSwapRequest = Static<typeof StartSwapRequest>;

export const ConfirmSwapRequest = Type.Object(
  {
    code: ConfirmCode,
    /** At insert-new, when two candidates end in the same four characters. */
    disk: Type.Optional(DiskId),
  },
  { additionalProperties: false },
);
export type ConfirmSwapRequest = Static<typeof ConfirmSwapRequest>;

export const SwapIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-z]{1,16}-[0-9a-f]{8}$' }) });
