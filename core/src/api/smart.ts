// A normalized SMART record (from `smartctl --json`), its history and self-test results.
// Raw ATA values can exceed 2^53 (vendor formats use up to 56 bits): `rawValue` is an exact
// decimal string; `interpreted` is the decoded meaning (hours, a counter, degrees).

import { Type, type Static } from 'typebox';
import { DiskId, HealthReason, Verdict } from './disks.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const DeviceClass = Type.Union([Type.Literal('ata'), Type.Literal('nvme'), Type.Literal('scsi'), Type.Literal('unknown')]);
export type DeviceClass = Static<typeof DeviceClass>;

export const SmartAttribute = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  value: Nullable(Type.Integer()),
  worst: Nullable(Type.Integer()),
  thresh: Nullable(Type.Integer()),
  /** '' (never), 'now' (at or below threshold now) or 'past'. */
  whenFailed: Type.String(),
  prefailure: Type.Boolean(),
  /** smartctl's raw.string as printed. */
  raw: Type.String(),
  /** The whole raw value as an exact decimal string. */
  rawValue: Type.String(),
  /** The decoded quantity (hours, a counter, degrees C), or null when the raw encoding is not understood. */
  interpreted: Nullable(Type.Number()),
});
export type SmartAttribute = Static<typeof SmartAttribute>;

export const NvmeHealth = Type.Object({
  criticalWarning: Type.Integer(),
  criticalWarningBits: Type.Array(Type.String()),
  availableSpare: Nullable(Type.Number()),
  availableSpareThreshold: Nullable(Type.Number()),
  percentageUsed: Nullable(Type.Number()),
  mediaErrors: Nullable(Type.Number()),
  errorLogEntries: Nullable(Type.Number()),
  unsafeShutdowns: Nullable(Type.Number()),
});
export type NvmeHealth = Static<typeof NvmeHealth>;

export const ScsiHealth = Type.Object({
  grownDefects: Nullable(Type.Number()),
  uncorrectedRead: Nullable(Type.Number()),
  uncorrectedWrite: Nullable(Type.Number()),
  uncorrectedVerify: Nullable(Type.Number()),
  percentageUsed: Nullable(Type.Number()),
});
export type ScsiHealth = Static<typeof ScsiHealth>;

export const SelfTestEntry = Type.Object({
  type: Type.String(),
  /** passed, failed, aborted, interrupted, running, unknown */
  result: Type.String(),
  description: Type.String(),
  powerOnHours: Nullable(Type.Number()),
  remainingPercent: Nullable(Type.Number()),
  failingLba: Nullable(Type.String()),
});
export type SelfTestEntry = Static<typeof SelfTestEntry>;

export const SmartRecord = Type.Object({
  deviceClass: DeviceClass,
  /** smartctl's device.type (sat, nvme, scsi, usbjmicron, sat+megaraid,1 ...). */
  deviceType: Nullable(Type.String()),
  deviceName: Nullable(Type.String()),
  model: Nullable(Type.String()),
  serial: Nullable(Type.String()),
  wwn: Nullable(Type.String()),
  firmware: Nullable(Type.String()),
  capacityBytes: Nullable(Type.Number()),
  rotationRate: Nullable(Type.Number()),
  smartctlVersion: Nullable(Type.String()),
  exitStatus: Nullable(Type.Integer()),
  /** The exit status bitmask, decoded to plain language. */
  exitBits: Type.Array(Type.String()),
  messages: Type.Array(Type.String()),
  /** False when the capture holds no SMART data at all (open failed, RAID volume, unsupported). */
  hasData: Type.Boolean(),
  overallPassed: Nullable(Type.Boolean()),
  temperatureC: Nullable(Type.Number()),
  temperatureMinC: Nullable(Type.Number()),
  temperatureMaxC: Nullable(Type.Number()),
  powerOnHours: Nullable(Type.Number()),
  powerCycles: Nullable(Type.Number()),
  attributes: Type.Array(SmartAttribute),
  nvme: Nullable(NvmeHealth),
  scsi: Nullable(ScsiHealth),
  /** null: the self-test log is unavailable (see selfTestNote). */
  selfTests: Nullable(Type.Array(SelfTestEntry)),
  selfTestNote: Nullable(Type.String()),
  /** The counters tracked over time (`ata.5`, `nvme.media_errors`, `scsi.grown_defects` ...). */
  counters: Type.Record(Type.String(), Type.Number()),
});
export type SmartRecord = Static<typeof SmartRecord>;

/** What `havend smart parse` prints and GET /disks/:id/smart returns. */
export const SmartReport = Type.Object({
  diskId: Nullable(DiskId),
  verdict: Verdict,
  reasons: Type.Array(HealthReason),
  checkedAt: Nullable(Type.String()),
  /** The disk was in standby and was not woken; the last reading is shown. */
  asleep: Type.Boolean(),
  record: Nullable(SmartRecord),
});
export type SmartReport = Static<typeof SmartReport>;

export const HistoryTier = Type.Union([Type.Literal('raw'), Type.Literal('hourly'), Type.Literal('daily')]);
export type HistoryTier = Static<typeof HistoryTier>;

export const HistoryPoint = Type.Object({
  /** Start of the sample (raw) or of the hour/day bucket, ms since the epoch. */
  t: Type.Number(),
  tier: HistoryTier,
  temperatureC: Nullable(Type.Number()),
  temperatureMinC: Nullable(Type.Number()),
  temperatureMaxC: Nullable(Type.Number()),
  powerOnHours: Nullable(Type.Number()),
  /** Counters at the end of the bucket. */
  counters: Type.Record(Type.String(), Type.Number()),
  samples: Type.Integer(),
});
export type HistoryPoint = Static<typeof HistoryPoint>;

export const HistoryResponse = Type.Object({ diskId: DiskId, points: Type.Array(HistoryPoint) });
export type HistoryResponse = Static<typeof HistoryResponse>;

export const HistoryQuery = Type.Object({
  from: Type.Optional(Type.Integer({ minimum: 0 })),
  to: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const SelfTestRequest = Type.Object(
  { kind: Type.Union([Type.Literal('short'), Type.Literal('long')]) },
  { additionalProperties: false },
);
export type SelfTestRequest = Static<typeof SelfTestRequest>;

/** A `smartctl --scan[-open] --json` listing: devices and the -d type to use for each. */
export const SmartScan = Type.Object({
  devices: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), protocol: Nullable(Type.String()) })),
});
export type SmartScan = Static<typeof SmartScan>;
