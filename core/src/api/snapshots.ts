import { Type, type Static } from 'typebox';
import { Counters, GroupName, HexDigest, SnapshotRef } from './common.js';

export const SnapshotSummary = Type.Object({
  id: HexDigest,
  group: GroupName,
  /** ISO 8601 commit time. */
  time: Type.String(),
  host: Type.String(),
  paths: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
  root: HexDigest,
  parent: Type.Optional(HexDigest),
  session: Type.String(),
  stats: Counters,
  /**
   * Protected from deletion and pruning until unprotected. Always sent by this appliance;
   * optional on the wire so a client still reads an appliance from before protection.
   */
  protected: Type.Optional(Type.Boolean()),
});
export type SnapshotSummary = Static<typeof SnapshotSummary>;

/**
 * One snapshot as `GET /snapshots/:id` answers it: its summary and the warnings its backup
 * reported (the first ones, from the record; lists of snapshots leave them out). Always sent
 * by this appliance; optional on the wire so a client still reads an appliance from before them.
 */
export const SnapshotDetail = Type.Object({ ...SnapshotSummary.properties, warnings: Type.Optional(Type.Array(Type.String())) });
export type SnapshotDetail = Static<typeof SnapshotDetail>;

export const GroupSummary = Type.Object({
  name: GroupName,
  snapshots: Type.Integer(),
  latest: Type.Union([SnapshotSummary, Type.Null()]),
});
export type GroupSummary = Static<typeof GroupSummary>;

export const GroupList = Type.Object({ groups: Type.Array(GroupSummary) });
export type GroupList = Static<typeof GroupList>;
/**
 * A group's snapshots, oldest first; with `?last=N` the newest N of them. `total` counts the
 * whole group either way (a group backed up continuously holds tens of thousands).
 */
export const SnapshotList = Type.Object({ snapshots: Type.Array(SnapshotSummary), total: Type.Optional(Type.Integer({ minimum: 0 })) });
export type SnapshotList = Static<typeof SnapshotList>;

/** A tree entry as JSON (UI browsing); the binary tree object is the authoritative form. */
export const TreeEntryJson = Type.Object({
  name: Type.String(),
  type: Type.String(),
  mode: Type.Integer(),
  uid: Type.Integer(),
  gid: Type.Integer(),
  mtime: Type.String(),
  size: Type.Integer(),
  target: Type.Optional(Type.String()),
  subtree: Type.Optional(HexDigest),
});
export type TreeEntryJson = Static<typeof TreeEntryJson>;

/** GET /snapshots/:id/tree?path=P: a folder's entries, or the one entry a file path names. */
export const TreeListing = Type.Object({ path: Type.String(), entries: Type.Array(TreeEntryJson) });
export type TreeListing = Static<typeof TreeListing>;

export const SnapshotParams = Type.Object({ id: SnapshotRef });
export const SnapshotObjectParams = Type.Object({ id: SnapshotRef, digest: HexDigest });
export const GroupParams = Type.Object({ group: GroupName });
export const SnapshotListQuery = Type.Object({ last: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })) });
/** A path inside a snapshot (tree, content, archive); each route says what its absence means. */
export const PathQuery = Type.Object({ path: Type.Optional(Type.String({ maxLength: 65536 })) });

/**
 * `GET /groups/:group/find?pattern=P[&last=N]`: the group's snapshots (its newest N) that hold
 * entries whose name (a pattern without /) or stored path (with /) matches the shell glob, newest
 * first. `pattern` is optional in the schema only so that the group's scope is checked first (a
 * request without it is refused with VALIDATION_FAILED after that).
 */
export const FindQuery = Type.Object({
  pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  last: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
});
export const FoundEntry = Type.Object({ ...TreeEntryJson.properties, path: Type.String() });
export type FoundEntry = Static<typeof FoundEntry>;
export const FindResult = Type.Object({
  /** Snapshots searched, and those with matches (each with its matches, in path order). */
  searched: Type.Integer({ minimum: 0 }),
  snapshots: Type.Array(Type.Object({ id: HexDigest, time: Type.String(), entries: Type.Array(FoundEntry) })),
  /** The search stopped at its bounds (entries walked, matches answered): narrow the pattern or `last`. */
  truncated: Type.Boolean(),
});
export type FindResult = Static<typeof FindResult>;
