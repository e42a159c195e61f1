// The push protocol (DESIGN section 3): start a session, ask `has`, stream frames, commit.

import { Type, type Static } from 'typebox';
import { Counters, GroupName, HexDigest } from './common.js';
import { SnapshotSummary } from './snapshots.js';

import { CHUNKER_ALGORITHM, SNAPSHOT_WARNINGS_KEPT, WARNING_MAX_CHARS } from './wire-constants.js';

export { CHUNKER_ALGORITHM, MEDIA_BITMAP, MEDIA_DIGESTS, MEDIA_FRAMES, SNAPSHOT_WARNINGS_KEPT, WARNING_MAX_CHARS } from './wire-constants.js';

export const ChunkerParams = Type.Object({
  algorithm: Type.Literal(CHUNKER_ALGORITHM),
  /** 32 random bytes (hex) from which the gear table is derived; per datastore. */
  seed: HexDigest,
  minSize: Type.Integer(),
  avgSize: Type.Integer(),
  maxSize: Type.Integer(),
});
export type ChunkerParams = Static<typeof ChunkerParams>;

export const StartBackupRequest = Type.Object(
  {
    group: GroupName,
    host: Type.String({ maxLength: 255, default: '' }),
    paths: Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 1024, default: [] }),
    tags: Type.Array(Type.String({ pattern: '^[A-Za-z0-9._:=-]{1,128}$' }), { maxItems: 64, default: [] }),
  },
  { additionalProperties: false },
);
export type StartBackupRequest = Static<typeof StartBackupRequest>;

export const SessionLimits = Type.Object({
  maxFrameBytes: Type.Integer(),
  maxHasDigests: Type.Integer(),
  maxStreams: Type.Integer(),
  /**
   * Warnings a commit may carry into the snapshot record (SNAPSHOT_WARNINGS_KEPT). Optional on
   * the wire: a client sends none to an appliance from before warnings were kept, which would
   * refuse the field.
   */
  maxWarnings: Type.Optional(Type.Integer()),
});

export const SessionStats = Type.Object({
  /** Digests asked about in `has` batches, and how many of them the appliance had. */
  hasQueried: Type.Integer(),
  hasPresent: Type.Integer(),
  /** Frames received in upload streams. */
  framesReceived: Type.Integer(),
  /** Frames whose object was new to the datastore, and those it already held. */
  objectsNew: Type.Integer(),
  objectsDuplicate: Type.Integer(),
  /** Payload bytes received, and those written because they were new. */
  bytesReceived: Type.Integer(),
  bytesNew: Type.Integer(),
  /** Uncompressed size of the new objects. */
  rawBytesNew: Type.Integer(),
  streams: Type.Integer(),
});
export type SessionStats = Static<typeof SessionStats>;

export { emptySessionStats } from './wire-constants.js';

export const SessionState = Type.Union([Type.Literal('open'), Type.Literal('committed'), Type.Literal('aborted')]);
export type SessionState = Static<typeof SessionState>;

export const SessionInfo = Type.Object({
  id: Type.String(),
  group: GroupName,
  host: Type.String(),
  paths: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
  state: SessionState,
  started: Type.String(),
  updated: Type.String(),
  stats: SessionStats,
  snapshot: Type.Optional(HexDigest),
  /** Why an aborted session ended. */
  reason: Type.Optional(Type.String()),
});
export type SessionInfo = Static<typeof SessionInfo>;

export const StartBackupResponse = Type.Object({
  session: Type.String(),
  chunker: ChunkerParams,
  previous: Type.Union([SnapshotSummary, Type.Null()]),
  limits: SessionLimits,
});
export type StartBackupResponse = Static<typeof StartBackupResponse>;

export const ChunksResponse = Type.Object({
  frames: Type.Integer(),
  objectsNew: Type.Integer(),
  objectsDuplicate: Type.Integer(),
  bytesReceived: Type.Integer(),
  bytesNew: Type.Integer(),
});
export type ChunksResponse = Static<typeof ChunksResponse>;

export const CommitRequest = Type.Object(
  {
    root: HexDigest,
    /** The client's own counters (files, dirs, bytes, durationMs, ...), kept with the snapshot. */
    stats: Type.Optional(Counters),
    /** The backup's first warnings, kept in the snapshot record (the `warnings` counter has them all). */
    warnings: Type.Optional(Type.Array(Type.String({ maxLength: WARNING_MAX_CHARS }), { maxItems: SNAPSHOT_WARNINGS_KEPT })),
  },
  { additionalProperties: false },
);
export type CommitRequest = Static<typeof CommitRequest>;

export const CommitResponse = Type.Object({
  snapshot: SnapshotSummary,
  session: SessionInfo,
});
export type CommitResponse = Static<typeof CommitResponse>;

/** A backup session's id in the URL. */
export const SessionParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) });
