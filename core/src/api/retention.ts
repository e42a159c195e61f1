// Retention policies per group, their preview and prune, on the wire (issue 13). The rules'
// meaning is in core/src/retention/apply.ts; the daemon validates a policy again with
// validatePolicy (a policy whose counts are all 0 keeps nothing and is refused there).

import { Type, type Static } from 'typebox';
import { GroupName, HexDigest } from './common.js';
import { TaskInfo } from './jobs.js';

const Count = Type.Integer({ minimum: 0, maximum: 1_000_000 });

/** Every rule is optional; a policy without rules never prunes. */
export const RetentionPolicy = Type.Object(
  {
    keepLast: Type.Optional(Count),
    keepHourly: Type.Optional(Count),
    keepDaily: Type.Optional(Count),
    keepWeekly: Type.Optional(Count),
    keepMonthly: Type.Optional(Count),
    keepYearly: Type.Optional(Count),
    /** `Ns|Nm|Nh|Nd|Nw`, counted back from the group's newest unprotected snapshot. */
    keepWithin: Type.Optional(Type.String({ pattern: '^[0-9]+[smhdw]$', maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type RetentionPolicy = Static<typeof RetentionPolicy>;

export const StoredPolicy = Type.Object({
  group: GroupName,
  policy: RetentionPolicy,
  /** ISO 8601. */
  updated: Type.String(),
  updatedBy: Type.String(),
});
export type StoredPolicy = Static<typeof StoredPolicy>;

export const PolicyList = Type.Object({ policies: Type.Array(StoredPolicy) });
export type PolicyList = Static<typeof PolicyList>;

/** One snapshot's fate under a policy. */
export const SnapshotDecision = Type.Object({
  id: HexDigest,
  /** ISO 8601 commit time. */
  time: Type.String(),
  protected: Type.Boolean(),
  keep: Type.Boolean(),
  /** Every rule that keeps it, or why nothing does ('no rule keeps it'). Never empty. */
  reasons: Type.Array(Type.String()),
});
export type SnapshotDecision = Static<typeof SnapshotDecision>;

export const PreviewResponse = Type.Object({
  group: GroupName,
  /** The policy applied: the request's, else the stored one; null when neither (nothing is removed). */
  policy: Type.Union([RetentionPolicy, Type.Null()]),
  /** The appliance's IANA time zone: calendar periods are local to it. */
  timeZone: Type.String(),
  /** Every snapshot of the group, newest first. */
  snapshots: Type.Array(SnapshotDecision),
});
export type PreviewResponse = Static<typeof PreviewResponse>;

/** POST /retention/:group/preview: an optional policy overriding the stored one; the body itself is optional. */
export const PreviewRequest = Type.Union([Type.Object({ policy: Type.Optional(RetentionPolicy) }, { additionalProperties: false }), Type.Null()]);
export type PreviewRequest = Static<typeof PreviewRequest>;

export const PruneRequest = Type.Object(
  {
    /** One group; without it, every group with a stored policy. */
    group: Type.Optional(GroupName),
    /** Overrides the stored policy (needs `group`); lets a group without a policy be pruned once. */
    policy: Type.Optional(RetentionPolicy),
    /** Decide and report, delete nothing. */
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PruneRequest = Static<typeof PruneRequest>;

export const GroupPrune = Type.Object({
  group: GroupName,
  policy: RetentionPolicy,
  /** Every snapshot of the group, newest first, as decided before deleting. */
  snapshots: Type.Array(SnapshotDecision),
  /** Ids deleted (tombstoned); in a dry run, those that would be. */
  removed: Type.Array(HexDigest),
  /** Marked for removal but left: protected or held since the decision (rare race), with why. */
  skipped: Type.Array(Type.Object({ id: HexDigest, reason: Type.String() })),
});
export type GroupPrune = Static<typeof GroupPrune>;

export const PruneSummary = Type.Object({
  dryRun: Type.Boolean(),
  timeZone: Type.String(),
  groups: Type.Array(GroupPrune),
  /** Snapshots removed over all groups (would be, in a dry run). */
  removed: Type.Integer(),
});
export type PruneSummary = Static<typeof PruneSummary>;

export const PruneResponse = Type.Object({ task: TaskInfo, summary: PruneSummary });
export type PruneResponse = Static<typeof PruneResponse>;
