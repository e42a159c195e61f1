// Disks on the wire (DESIGN section 5): the inventory record, its SMART health and history.
// Identity is WWN, else serial + model; loop devices by backing file; never a device name.

import { Type, type Static } from 'typebox';

export const DiskId = Type.String({ pattern: '^[0-9a-f]{16}$' });

export const IdentityKind = Type.Union([
  /** World Wide Name / EUI / NGUID: unique by construction. */
  Type.Literal('wwn'),
  /** Serial number + model. */
  Type.Literal('serial'),
  /** A loop device, by its backing file. */
  Type.Literal('loop'),
  /** A disk without WWN or serial (virtual disks): its partition-table or filesystem UUID. */
  Type.Literal('content'),
  /** Last resort for a blank disk with neither: its physical location (sysfs path), not its name. */
  Type.Literal('location'),
]);
export const DiskIdentity = Type.Object({ kind: IdentityKind, value: Type.String() });
export type DiskIdentity = Static<typeof DiskIdentity>;

export const DiskRole = Type.Union([
  Type.Literal('system'),
  Type.Literal('pool-member'),
  Type.Literal('spare'),
  Type.Literal('unassigned'),
]);
export type DiskRole = Static<typeof DiskRole>;

export const Verdict = Type.Union([Type.Literal('passed'), Type.Literal('warning'), Type.Literal('failing'), Type.Literal('unknown')]);
export type Verdict = Static<typeof Verdict>;

export const Partition = Type.Object({
  name: Type.String(),
  path: Type.String(),
  sizeBytes: Type.Number(),
  fsType: Type.Union([Type.String(), Type.Null()]),
  fsUuid: Type.Union([Type.String(), Type.Null()]),
  label: Type.Union([Type.String(), Type.Null()]),
  mountpoints: Type.Array(Type.String()),
});
export type Partition = Static<typeof Partition>;

export const HealthReason = Type.Object({
  /** Stable code, e.g. `ata.5`, `nvme.critical_warning`, `scsi.grown_defects`, `trend.ata.5`, `no_data`. */
  code: Type.String(),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('failing'), Type.Literal('unknown')]),
  /** Plain language, naming the evidence. */
  message: Type.String(),
  /** The measured value behind the reason, when it is a number (compared to decide "worse"). */
  value: Type.Optional(Type.Number()),
});
export type HealthReason = Static<typeof HealthReason>;

export const Acknowledgement = Type.Object({
  at: Type.String(),
  by: Type.String(),
  note: Type.String(),
  verdict: Verdict,
});
export type Acknowledgement = Static<typeof Acknowledgement>;

export const DiskHealth = Type.Object({
  verdict: Verdict,
  reasons: Type.Array(HealthReason),
  checkedAt: Type.Union([Type.String(), Type.Null()]),
  temperatureC: Type.Union([Type.Number(), Type.Null()]),
  powerOnHours: Type.Union([Type.Number(), Type.Null()]),
  /** Set while an admin's acknowledgement covers the current evidence. */
  acknowledged: Type.Union([Acknowledgement, Type.Null()]),
});
export type DiskHealth = Static<typeof DiskHealth>;

export const DiskRecord = Type.Object({
  id: DiskId,
  identity: DiskIdentity,
  wwn: Type.Union([Type.String(), Type.Null()]),
  serial: Type.Union([Type.String(), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  vendor: Type.Union([Type.String(), Type.Null()]),
  firmware: Type.Union([Type.String(), Type.Null()]),
  sizeBytes: Type.Number(),
  rotational: Type.Union([Type.Boolean(), Type.Null()]),
  /** sata, sas, nvme, usb, virtio, loop ... */
  transport: Type.Union([Type.String(), Type.Null()]),
  /** Current kernel name and device node (change across boots; never used as identity). */
  name: Type.Union([Type.String(), Type.Null()]),
  devicePath: Type.Union([Type.String(), Type.Null()]),
  /** Physical location: /dev/disk/by-path when udev made it, else the sysfs device path. */
  byPath: Type.Union([Type.String(), Type.Null()]),
  backingFile: Type.Union([Type.String(), Type.Null()]),
  fsType: Type.Union([Type.String(), Type.Null()]),
  partitions: Type.Array(Partition),
  mountpoints: Type.Array(Type.String()),
  role: DiskRole,
  /** Who declared the role (pool name), or why it is `system`. */
  roleDetail: Type.Union([Type.String(), Type.Null()]),
  present: Type.Boolean(),
  /** A disk that went missing is archived with its history until an admin purges it. */
  archived: Type.Boolean(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  health: DiskHealth,
});
export type DiskRecord = Static<typeof DiskRecord>;

export const DiskList = Type.Object({ disks: Type.Array(DiskRecord) });
export type DiskList = Static<typeof DiskList>;

export const AcknowledgeRequest = Type.Object(
  { note: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);
export type AcknowledgeRequest = Static<typeof AcknowledgeRequest>;

export const DiskListQuery = Type.Object({
  /** Include archived (missing) disks; default true. */
  archived: Type.Optional(Type.Boolean()),
});

export const DiskParams = Type.Object({ id: DiskId });
