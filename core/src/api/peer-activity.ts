// What an offsite's peer is doing and has done (issue 14's replication page): paused or not,
// what it still has to pull (its queue, with the snapshot in flight), and how far behind it
// was over the last days (its lag history).

import { Type, type Static } from 'typebox';
import { GroupName, HexDigest } from './common.js';

/** A peer the admin paused: it neither follows nor runs its schedule until resumed. */
export const PeerPaused = Type.Object({ since: Type.String(), by: Type.String() });
export type PeerPaused = Static<typeof PeerPaused>;

export const QueuedSnapshot = Type.Object({
  /** The source's id. */
  snapshot: HexDigest,
  group: GroupName,
  /** When it was committed on the source (ISO 8601). */
  time: Type.String(),
});
export type QueuedSnapshot = Static<typeof QueuedSnapshot>;

/** The snapshot a pull is bringing now, with what has arrived of it (kept if the pull stops). */
export const InFlightPull = Type.Object({
  snapshot: HexDigest,
  group: GroupName,
  time: Type.String(),
  started: Type.String(),
  objectsFetched: Type.Integer({ minimum: 0 }),
  bytesFetched: Type.Integer({ minimum: 0 }),
});
export type InFlightPull = Static<typeof InFlightPull>;

/** GET /api/v1/peers/:name/queue: what the offsite lacks of the source, oldest first, as of `checked`. */
export const PeerQueue = Type.Object({
  peer: Type.String(),
  snapshots: Type.Array(QueuedSnapshot),
  inFlight: Type.Union([InFlightPull, Type.Null()]),
  /** When the source was last asked (ISO 8601). */
  checked: Type.String(),
  /** The source could not be asked: the list is the last one known. */
  error: Type.Union([Type.String(), Type.Null()]),
});
export type PeerQueue = Static<typeof PeerQueue>;

export const LagSample = Type.Object({
  /** ISO 8601. */
  time: Type.String(),
  lagSeconds: Type.Number({ minimum: 0 }),
  snapshotsBehind: Type.Integer({ minimum: 0 }),
});
export type LagSample = Static<typeof LagSample>;

/** GET /api/v1/peers/:name/lag-history: oldest first; recent samples as taken, older ones one per bucket (its worst). */
export const LagHistory = Type.Object({ peer: Type.String(), samples: Type.Array(LagSample) });
export type LagHistory = Static<typeof LagHistory>;

export const LagHistoryQuery = Type.Object(
  { since: Type.Optional(Type.String({ format: 'date-time' })) },
  { additionalProperties: false },
);
