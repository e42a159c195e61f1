// Offsite replication on the wire (issue 14, DESIGN section 4). The source serves its change
// feed and raw snapshot records to replication tokens; objects go through the restore route
// (POST /snapshots/:id/objects, frames by digest). The offsite keeps its peers and answers
// their status through the control socket and the UI.

import { Type, type Static } from 'typebox';
import { GroupName, HexDigest } from './common.js';
import { PeerPaused } from './peer-activity.js';

/** A position in the source's change feed; the epoch names the index it belongs to. */
export const FeedCursor = Type.Object({ epoch: Type.String({ maxLength: 128 }), seq: Type.Integer({ minimum: 0 }) });
export type FeedCursor = Static<typeof FeedCursor>;

/** Longest a changes request waits for a change (seconds): bounded so proxies and shutdown never wait long. */
export const MAX_CHANGES_WAIT_SECONDS = 30;

/** GET /api/v1/replication/changes: without epoch and seq, from the beginning of the feed. */
export const ChangesQuery = Type.Object(
  {
    epoch: Type.Optional(Type.String({ maxLength: 128 })),
    seq: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Seconds to wait when there is no change yet (long poll); 0 answers at once. */
    wait: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_CHANGES_WAIT_SECONDS })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type ChangesQuery = Static<typeof ChangesQuery>;

export const SnapshotChange = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  /** `protected`/`unprotected`: the snapshot's protected flag changed. */
  type: Type.Union([Type.Literal('committed'), Type.Literal('deleted'), Type.Literal('protected'), Type.Literal('unprotected')]),
  snapshot: HexDigest,
  group: GroupName,
  /** ISO 8601: the snapshot's time (committed) or the deletion's or the protection change's. */
  time: Type.String(),
});
export type SnapshotChange = Static<typeof SnapshotChange>;

export const ChangesResponse = Type.Object({
  /** Changes of the groups the token covers (others are skipped, their sequence numbers too). */
  changes: Type.Array(SnapshotChange),
  /** Where the next request continues. */
  cursor: FeedCursor,
  /**
   * The feed's end when the page was read: where a full pull moves its cursor once it has
   * everything it listed, without asking for pages past what it holds (the source takes the
   * cursor of each request as the offsite's confirmation).
   */
  head: FeedCursor,
  /** The cursor named another epoch (a rebuilt index): list the snapshots again, then go on from `cursor`. */
  reset: Type.Boolean(),
});
export type ChangesResponse = Static<typeof ChangesResponse>;

/** The media type of a raw snapshot record (GET /api/v1/snapshots/:id/record). */
export const MEDIA_SNAPSHOT_RECORD = 'application/vnd.haven.snapshot';

// ---- the offsite's peers ----

const PeerName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' });
/** `Ns|Nm|Nh|Nd|Nw` (core/src/time/duration.ts). */
const Duration = Type.String({ pattern: '^[0-9]+[smhdw]$', maxLength: 32 });
const GroupPrefix = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$' });

export const PeerNameParams = Type.Object({ name: PeerName });

/** MB (10^6 bytes) per second of object payload, across all of a peer's streams. */
const RateLimit = Type.Number({ exclusiveMinimum: 0, maximum: 100_000 });
/** `[DAYS ]HH:MM-HH:MM` in the appliance's time zone (daemon/src/replication/windows.ts checks the rest). */
const Windows = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 });
/** Percent of a group's (or the peer's) replicated snapshots that may vanish at once before propagation pauses. */
const DeleteBrake = Type.Integer({ minimum: 1, maximum: 100 });

/** A peer's bandwidth, time windows and deletion propagation (ransomware safety). */
export const PeerLimits = Type.Object({
  /** null: unlimited. */
  rateLimit: Type.Union([RateLimit, Type.Null()]),
  /** Empty: at any time. */
  windows: Windows,
  /** null: deletions on the source are never propagated (the default). */
  propagateDeletesAfter: Type.Union([Duration, Type.Null()]),
  /** null without propagation; 10 by default with it. */
  deleteBrake: Type.Union([DeleteBrake, Type.Null()]),
});
export type PeerLimits = Static<typeof PeerLimits>;

export const AddPeerRequest = Type.Object(
  {
    name: PeerName,
    url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
    /** The source's replication token (the CLI reads it from a file; the daemon stores it 0600). */
    token: Type.String({ minLength: 1, maxLength: 512 }),
    fingerprint: Type.Optional(Type.String({ maxLength: 128 })),
    /** Only these groups of the source (default: every group the token covers). */
    groups: Type.Optional(Type.Array(GroupName, { maxItems: 1000 })),
    /** Local groups are named `<prefix><group>` (so two sources, or a source and a local group, never clash). */
    groupPrefix: Type.Optional(GroupPrefix),
    /** A cron expression: pull on that schedule instead of following the source. */
    schedule: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** Alert when the peer has made no progress for this long (default 1h). */
    lagAlert: Type.Optional(Duration),
    /** Only for repairing this appliance's damaged objects from the peer's copies: never pulled from. */
    repairOnly: Type.Optional(Type.Boolean()),
    ...Type.Partial(PeerLimits).properties,
  },
  { additionalProperties: false },
);
export type AddPeerRequest = Static<typeof AddPeerRequest>;

/** PATCH /peers/:name: the settings that can change (null lifts a limit or the group filter); `deletesPaused: false` resumes propagation after the brake. */
export const UpdatePeerRequest = Type.Object(
  {
    lagAlert: Type.Optional(Duration),
    /** `follow`, or a cron expression (the peer's puller restarts with it; a pull under way is cut and resumes). */
    schedule: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** Only these groups of the source; null: every group the token covers. */
    groups: Type.Optional(Type.Union([Type.Array(GroupName, { maxItems: 1000 }), Type.Null()])),
    rateLimit: Type.Optional(Type.Union([RateLimit, Type.Null()])),
    windows: Type.Optional(Windows),
    propagateDeletesAfter: Type.Optional(Type.Union([Duration, Type.Null()])),
    deleteBrake: Type.Optional(Type.Union([DeleteBrake, Type.Null()])),
    deletesPaused: Type.Optional(Type.Literal(false)),
    /** With `deletesPaused: false`: forget the pending deletions instead of carrying them out (their snapshots stay). */
    dropPendingDeletes: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UpdatePeerRequest = Static<typeof UpdatePeerRequest>;

/** `paused`: by the admin (the peer's `paused` says since when); `waiting`: for a time window. */
export const PeerState = Type.Union([
  Type.Literal('idle'), Type.Literal('pulling'), Type.Literal('failing'), Type.Literal('waiting'), Type.Literal('paused'),
]);

export const PeerInfo = Type.Object({
  name: PeerName,
  url: Type.String(),
  fingerprint: Type.Union([Type.String(), Type.Null()]),
  groups: Type.Union([Type.Array(GroupName), Type.Null()]),
  groupPrefix: Type.Union([Type.String(), Type.Null()]),
  /** `follow`, or the cron expression it pulls on. */
  schedule: Type.String(),
  lagAlert: Duration,
  added: Type.String(),
  /** Used only to fetch objects for repair (no pull, no follow); absent in peers added before it existed. */
  repairOnly: Type.Optional(Type.Boolean()),
  ...PeerLimits.properties,
  /** Paused by the admin (POST /peers/:name/pause); absent or null: running. */
  paused: Type.Optional(Type.Union([PeerPaused, Type.Null()])),
});
export type PeerInfo = Static<typeof PeerInfo>;

/** A snapshot deleted on the source, kept on the offsite until `due` (delayed propagation). */
export const PendingDeletion = Type.Object({
  /** The source's id. */
  snapshot: HexDigest,
  /** The offsite's id (differs with a group prefix). */
  local: HexDigest,
  group: GroupName,
  /** When the offsite learnt of the deletion (ISO 8601). */
  seen: Type.String(),
  /** When it deletes its copy, unless the brake holds it (ISO 8601). */
  due: Type.String(),
});
export type PendingDeletion = Static<typeof PendingDeletion>;

/** Propagation paused by the brake, until the admin resumes it. */
export const DeletesPaused = Type.Object({ since: Type.String(), reason: Type.String() });
export type DeletesPaused = Static<typeof DeletesPaused>;

export const PeerStatus = Type.Object({
  peer: PeerInfo,
  state: PeerState,
  /** The source's change feed position the offsite has applied. */
  cursor: Type.Union([FeedCursor, Type.Null()]),
  /** Snapshots the source had at the last look that the offsite lacks. */
  snapshotsBehind: Type.Integer({ minimum: 0 }),
  /** Seconds since the oldest snapshot the offsite lacks was committed on the source (0: up to date). */
  lagSeconds: Type.Number({ minimum: 0 }),
  snapshotsPulled: Type.Integer({ minimum: 0 }),
  objectsFetched: Type.Integer({ minimum: 0 }),
  bytesFetched: Type.Integer({ minimum: 0 }),
  /** ISO 8601 of the last pull that completed, or of the last snapshot committed. */
  lastProgress: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.Object({ code: Type.String(), message: Type.String(), time: Type.String() }), Type.Null()]),
  /** Outside every time window: when the next one opens (ISO 8601); the state is `waiting`. */
  outsideWindowUntil: Type.Union([Type.String(), Type.Null()]),
  pendingDeletions: Type.Array(PendingDeletion),
  deletesPaused: Type.Union([DeletesPaused, Type.Null()]),
});
export type PeerStatus = Static<typeof PeerStatus>;

export const PeerList = Type.Object({ peers: Type.Array(PeerStatus) });
export type PeerList = Static<typeof PeerList>;

export const ReplicateRequest = Type.Object({ wait: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const ReplicateResponse = Type.Object({
  peer: Type.String(),
  /** Snapshots committed on the offsite by this pull. */
  pulled: Type.Integer({ minimum: 0 }),
  /** Snapshots the source had that the offsite still lacks (0 after a complete pull). */
  behind: Type.Integer({ minimum: 0 }),
  objectsFetched: Type.Integer({ minimum: 0 }),
  bytesFetched: Type.Integer({ minimum: 0 }),
  task: Type.Union([Type.String(), Type.Null()]),
});
export type ReplicateResponse = Static<typeof ReplicateResponse>;
