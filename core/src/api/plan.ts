// The protection plan on the wire (issue 15, step 1 of the backup practice: compile what must
// be protected). An entry names a group and the goal for it: how much data may be lost (RPO),
// when backups are expected (a cron schedule), how long a recovery may take (RTO) and whether
// an offsite copy is required. The RPO watch turns each entry into a state; the rules are in
// daemon/src/plan/rpo-state.ts and docs/ARCHITECTURE.md.

import { Type, type Static } from 'typebox';
import { GroupName } from './common.js';
import { RetentionPolicy } from './retention.js';

/** `Ns|Nm|Nh|Nd|Nw` (core/src/time/duration.ts checks it again and names what is wrong). */
export const DurationText = Type.String({ pattern: '^[0-9]+[smhdw]$', maxLength: 32 });

/** An admin's choice: watched, paused (no alerts for a while), retired (kept for the record). */
export const PlanMode = Type.Union([Type.Literal('active'), Type.Literal('paused'), Type.Literal('retired')]);
export type PlanMode = Static<typeof PlanMode>;

export const RpoState = Type.Union([
  Type.Literal('OK'), Type.Literal('LATE'), Type.Literal('BREACH'), Type.Literal('NEVER'), Type.Literal('PAUSED'), Type.Literal('RETIRED'),
]);
export type RpoState = Static<typeof RpoState>;

/** PUT /api/v1/plan/:group: adds or replaces the group's entry (its creation time is kept). */
export const PlanEntryInput = Type.Object(
  {
    owner: Type.Optional(Type.String({ maxLength: 200 })),
    rpo: DurationText,
    /** A cron pattern (croner, optional seconds field); without it the entry is never LATE. */
    schedule: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    /** How long after a due time a backup may still arrive before the entry is LATE (default 1h). */
    grace: Type.Optional(DurationText),
    rto: Type.Optional(DurationText),
    /**
     * Who holds the offsite copy: on the source, the name of the offsite's replication token
     * (or of a repair-only peer of that name). On an offsite, a group a peer brings needs none.
     */
    offsitePeer: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** Whether the 3-2-1 rule's offsite copy is required (default true): without one the tile is red, else amber. */
    offsiteRequired: Type.Optional(Type.Boolean()),
    mode: Type.Optional(PlanMode),
    /**
     * The entry's own recovery-drill schedule: a cron pattern, or `never` (drills on demand
     * only). Absent: the entry follows the appliance's `drill.cron`.
     */
    drillSchedule: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    /** The client's link to the appliance in MB/s (10^6 bytes): it bounds the drill's RTO estimate. */
    linkRateMBps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type PlanEntryInput = Static<typeof PlanEntryInput>;

export const PlanEntry = Type.Object({
  group: GroupName,
  owner: Type.String(),
  rpo: DurationText,
  schedule: Type.Union([Type.String(), Type.Null()]),
  grace: DurationText,
  rto: Type.Union([DurationText, Type.Null()]),
  offsitePeer: Type.Union([Type.String(), Type.Null()]),
  /** Absent in entries stored before it existed: required. */
  offsiteRequired: Type.Optional(Type.Boolean()),
  mode: PlanMode,
  /** A cron pattern, `never` (on demand only), or null/absent (the global `drill.cron`). */
  drillSchedule: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** MB/s; null/absent: the drill's measured rate alone bounds the RTO estimate. */
  linkRateMBps: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  /** ISO 8601; a NEVER entry is measured from here. */
  created: Type.String(),
  updated: Type.String(),
  updatedBy: Type.String(),
});
export type PlanEntry = Static<typeof PlanEntry>;

export { DRILL_NEVER } from './wire-constants.js';

/** Something a later slice measures (drills, replication): its value or why there is none. */
export const NotConfigured = Type.Object({ configured: Type.Literal(false), reason: Type.String() });

/** The RTO as the group's latest recovery drill measured it (daemon/src/drill/). */
export const RtoMeasured = Type.Object({
  configured: Type.Literal(true),
  /** Time to first byte + the newest snapshot's size / the drill's rate. */
  seconds: Type.Number({ minimum: 0 }),
  /** When the drill ended (ISO 8601), its task and result. */
  drilled: Type.String(),
  task: Type.String(),
  result: Type.Union([Type.Literal('passed'), Type.Literal('failed')]),
});
export type RtoMeasured = Static<typeof RtoMeasured>;

/** One light of the 3-2-1 tile: green, amber or red, with the reason in words. */
export const Light = Type.Union([Type.Literal('green'), Type.Literal('amber'), Type.Literal('red')]);
export type Light = Static<typeof Light>;
export const Signal = Type.Object({ level: Light, reason: Type.String() });
export type Signal = Static<typeof Signal>;

/**
 * The offsite copy of a group (daemon/src/plan/offsite-state.ts). `role` says how this
 * appliance knows: `offsite` (it is the offsite: a peer it pulls from brings the group, the
 * lag is the peer's), `source` (an offsite pulls from it: the lag is the age of the oldest
 * snapshot the offsite has not confirmed by asking for the changes after it), `none`.
 */
export const OffsiteState = Type.Object({
  /** False when no offsite is named or found (then `reason` says why). */
  configured: Type.Boolean(),
  level: Light,
  reason: Type.String(),
  role: Type.Union([Type.Literal('offsite'), Type.Literal('source'), Type.Literal('none')]),
  /** The peer or the replication token's name. */
  peer: Type.Union([Type.String(), Type.Null()]),
  /** Seconds the offsite copy trails this appliance; null when unknown. */
  lagSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  /** Green up to this lag, amber up to twice it, red beyond (the peer's lag-alert bound). */
  boundSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  /** Snapshots of the group the offsite holds (offsite: here; source: confirmed) and still lacks. */
  snapshotsHeld: Type.Integer({ minimum: 0 }),
  snapshotsBehind: Type.Integer({ minimum: 0 }),
  /** When the offsite last asked for changes (source) or the peer last made progress (offsite). */
  lastContact: Type.Union([Type.String(), Type.Null()]),
});
export type OffsiteState = Static<typeof OffsiteState>;

/** 3-2-1 at a glance: copies (client + appliance + offsite), media (pool redundancy), offsite. */
export const ThreeTwoOne = Type.Object({
  copies: Type.Object({ level: Light, reason: Type.String(), count: Type.Integer({ minimum: 0 }) }),
  media: Signal,
  offsite: Signal,
});
export type ThreeTwoOne = Static<typeof ThreeTwoOne>;

export const PlanEntryStatus = Type.Object({
  group: GroupName,
  state: RpoState,
  /** Why, in plain language ("newest backup 3h ago; RPO 1d"). */
  reason: Type.String(),
  entry: PlanEntry,
  /** ISO 8601 commit time of the group's newest snapshot, null when it has none. */
  newestSnapshot: Type.Union([Type.String(), Type.Null()]),
  /** When the RPO is breached unless a backup arrives (null when paused or retired). */
  breachAt: Type.Union([Type.String(), Type.Null()]),
  /** The first due time of the schedule after the newest backup (null without a schedule). */
  nextDue: Type.Union([Type.String(), Type.Null()]),
  /** The group's retention policy (retention area), null when it is never pruned. */
  retention: Type.Union([RetentionPolicy, Type.Null()]),
  /** The RTO as the latest drill that measured one estimated it; not configured before any drill. */
  rtoEstimate: Type.Union([RtoMeasured, NotConfigured]),
  /** The offsite copy's state (replication). */
  offsite: OffsiteState,
  threeTwoOne: ThreeTwoOne,
  evaluated: Type.String(),
});
export type PlanEntryStatus = Static<typeof PlanEntryStatus>;

/** A group that has snapshots but no plan entry, for the admin to adopt. */
export const UnplannedGroup = Type.Object({ group: GroupName, snapshots: Type.Integer(), newestSnapshot: Type.Union([Type.String(), Type.Null()]) });
export type UnplannedGroup = Static<typeof UnplannedGroup>;

export const PlanList = Type.Object({ entries: Type.Array(PlanEntryStatus), unplanned: Type.Array(UnplannedGroup) });
export type PlanList = Static<typeof PlanList>;

/** POST /api/v1/plan/:group/enroll: what the client machine needs, with a fresh `backup:<group>` token. */
export const Enrolment = Type.Object({
  group: GroupName,
  server: Type.String(),
  /** The pinned certificate fingerprint; null when the appliance serves plain HTTP (loopback). */
  fingerprint: Type.Union([Type.String(), Type.Null()]),
  /** Shown once: only its hash is stored. */
  token: Type.String(),
  tokenId: Type.String(),
  /** The one line to run on the client: `haven login ...` saving server, token and pin. */
  command: Type.String(),
  /** Then, for each run (or a profile): the backup into this group. */
  backupCommand: Type.String(),
});
export type Enrolment = Static<typeof Enrolment>;
