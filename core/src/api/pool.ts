// The storage pool on the wire (DESIGN section 5): a `directory` pool (any mounted path, the
// embedded default) or a `btrfs` pool over whole disks. The UI and `havend pool` read the
// same status; device error counters come from sysfs, usage from `filesystem usage -b`.

import { Type, type Static } from 'typebox';
import { DiskId } from './disks.js';

export const PoolKind = Type.Union([Type.Literal('directory'), Type.Literal('btrfs')]);
export type PoolKind = Static<typeof PoolKind>;

export const PoolProfile = Type.Union([Type.Literal('raid1'), Type.Literal('raid1c3'), Type.Literal('raid10')]);
export type PoolProfile = Static<typeof PoolProfile>;

export const PoolName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' });

/**
 * healthy: every member present, no error counted; degraded: a member is missing (mounted
 * with `-o degraded` on purpose); errors: all present but some device counted I/O or
 * checksum errors; unavailable: not mounted.
 */
export const PoolHealth = Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('errors'), Type.Literal('unavailable')]);
export type PoolHealth = Static<typeof PoolHealth>;

/** btrfs per-device counters (sysfs devinfo/<devid>/error_stats); they only grow until reset. */
export const DeviceErrors = Type.Object({
  write: Type.Number(),
  read: Type.Number(),
  flush: Type.Number(),
  corruption: Type.Number(),
  generation: Type.Number(),
});
export type DeviceErrors = Static<typeof DeviceErrors>;

/** Why a member is flagged for replacement (what the swap workflow can start from). */
export const MemberFlag = Type.Union([
  Type.Literal('missing'),
  Type.Literal('errors'),
  Type.Literal('smart-failing'),
  Type.Literal('smart-warning'),
]);
export type MemberFlag = Static<typeof MemberFlag>;

export const PoolMember = Type.Object({
  devid: Type.Integer(),
  /** The inventory disk (null when the pool holds a device the inventory has not matched). */
  diskId: Type.Union([DiskId, Type.Null()]),
  devicePath: Type.Union([Type.String(), Type.Null()]),
  serial: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  /** Physical slot (by-path link or sysfs path). */
  slot: Type.Union([Type.String(), Type.Null()]),
  sizeBytes: Type.Number(),
  allocatedBytes: Type.Number(),
  missing: Type.Boolean(),
  errors: DeviceErrors,
  flags: Type.Array(MemberFlag),
});
export type PoolMember = Static<typeof PoolMember>;

export const PoolUsage = Type.Object({
  /** Raw capacity of all members. */
  deviceBytes: Type.Number(),
  /** Bytes used, counting every copy. */
  usedBytes: Type.Number(),
  /** Usable space left, as btrfs estimates it for the profile. */
  freeBytes: Type.Number(),
  /** Copies kept of each byte (2 for raid1). */
  dataRatio: Type.Number(),
});
export type PoolUsage = Static<typeof PoolUsage>;

export const ScrubCounters = Type.Object({
  dataBytesScrubbed: Type.Number(),
  treeBytesScrubbed: Type.Number(),
  readErrors: Type.Number(),
  csumErrors: Type.Number(),
  verifyErrors: Type.Number(),
  superErrors: Type.Number(),
  correctedErrors: Type.Number(),
  uncorrectableErrors: Type.Number(),
  unverifiedErrors: Type.Number(),
});
export type ScrubCounters = Static<typeof ScrubCounters>;

export const ScrubState = Type.Object({
  /** never, running, finished, aborted (cancelled), interrupted ... as btrfs reports it. */
  status: Type.String(),
  started: Type.Union([Type.String(), Type.Null()]),
  durationSeconds: Type.Union([Type.Number(), Type.Null()]),
  counters: ScrubCounters,
});
export type ScrubState = Static<typeof ScrubState>;

export const PoolStatus = Type.Object({
  name: Type.String(),
  kind: PoolKind,
  profile: Type.Union([PoolProfile, Type.Null()]),
  uuid: Type.Union([Type.String(), Type.Null()]),
  mountPath: Type.String(),
  mounted: Type.Boolean(),
  /** Mounted with `-o degraded` (a member was missing at mount time). */
  degradedMount: Type.Boolean(),
  health: PoolHealth,
  /** Plain language: what is wrong and what to do. */
  summary: Type.String(),
  datastorePath: Type.String(),
  /** Fewest members the profile allows; how many may be missing while the data stays whole. */
  minDevices: Type.Integer(),
  tolerates: Type.Integer(),
  usage: Type.Union([PoolUsage, Type.Null()]),
  members: Type.Array(PoolMember),
  scrub: Type.Union([ScrubState, Type.Null()]),
  /** The swap workflow in progress, if any. */
  swap: Type.Union([Type.Object({ id: Type.String(), step: Type.String() }), Type.Null()]),
});
export type PoolStatus = Static<typeof PoolStatus>;

/** The last four characters the technician types for a disk (see docs/ARCHITECTURE.md). */
export const ConfirmCode = Type.String({ minLength: 4, maxLength: 4 });

export const DiskConfirmation = Type.Object(
  { disk: DiskId, confirm: ConfirmCode },
  { additionalProperties: false },
);
export type DiskConfirmation = Static<typeof DiskConfirmation>;

export const CreatePoolRequest = Type.Object(
  {
    name: Type.Optional(PoolName),
    profile: PoolProfile,
    /** Every disk to wipe, each confirmed by the last four characters of its serial (or disk id). */
    disks: Type.Array(DiskConfirmation, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type CreatePoolRequest = Static<typeof CreatePoolRequest>;

export const AddDeviceRequest = DiskConfirmation;
export type AddDeviceRequest = Static<typeof AddDeviceRequest>;

export const DevidParams = Type.Object({ devid: Type.Integer({ minimum: 1, maximum: 1_000_000 }) });
