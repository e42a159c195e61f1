// The store's interface: everything the rest of the daemon (backup/, http/, metrics/ and the
// jobs to come: GC, replication, verification, drills) may ask of the datastore. The LMDB
// tables behind it (object-index.ts) are this folder's business alone, so a collector or a
// replicator never learns the table layout, and the layout can change without them.
//
// One small interface per concern; a caller takes only the ones it uses (see datastore.ts
// for the one place they are built).

import type { ObjectStorageStatus } from '../../../core/src/api/datastore.js';
import type { GroupSummary, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { SnapshotRecord } from '../../../core/src/objects/snapshot.js';
import type { ObjectKind } from '../../../core/src/objects/kinds.js';
import type { HoldKind, Location, SessionRecord } from './object-index.js';
import type { ObjectSource, WalkedTree } from './reachability.js';
import type { AppendItem } from './segment-writer.js';
import type { StoredObject, StorePosition } from './chunk-store.js';
import type { SpanFrames } from './segment-reader.js';

export type { HoldKind, SessionRecord } from './object-index.js';

/** Objects: has, get, append-verified (ChunkStore implements it). */
export interface ObjectStore extends ObjectSource {
  /** Durable, visible and not quarantined: what a client's `has` is answered with. */
  isIndexed(digest: Uint8Array): boolean;
  /** Appends objects already verified against their digests; false per item: already stored. */
  append(items: AppendItem[]): Promise<boolean[]>;
  /** Makes everything appended so far durable and visible. */
  flush(): Promise<void>;
  /** Records of one segment, sorted by offset, read together (restores). */
  readStoredSpan(items: ReadonlyArray<{ location: Location; digest: Uint8Array }>): Promise<StoredObject[]>;
  /**
   * The same records as consecutive wire frames in one buffer (what the objects route sends);
   * release() once it has been written hands the buffer back for the next span.
   */
  readSpanFrames(items: ReadonlyArray<{ location: Location; digest: Uint8Array }>): Promise<SpanFrames>;
  /** Where the next appended record goes (a session's uploads lie after where it began). */
  position(): StorePosition;
  /** Moves on whenever garbage collection removes index entries: proof of presence found before is stale. */
  readonly removalGeneration: number;
}

/** What a commit writes in the one transaction that makes its snapshot visible. */
export interface CommitWith {
  /** The session's record; stored committed, naming the snapshot. */
  session: SessionRecord;
  /** Trees verified complete by the commit (flagged so that later commits skip them). */
  completeTrees: readonly WalkedTree[];
  /**
   * The store's removalGeneration when the commit's walk began. If garbage collection removed
   * index entries since, the commit is refused with WalkOutdated before anything is written,
   * and the caller walks again: what the walk found present may be gone.
   */
  walkedAt: number;
}

/**
 * The snapshot catalogue. Commits and deletions are appended to the change feed; protection
 * changes are not (they change no snapshot's existence), they are in the summaries.
 */
export interface DeletedMany {
  deleted: Array<{ id: string; group: string }>;
  refused: Array<{ id: string; code: 'SNAPSHOT_NOT_FOUND' | 'SNAPSHOT_PROTECTED' }>;
}

export interface SnapshotCatalog {
  get(id: string): SnapshotSummary | undefined;
  /** A group's snapshots, oldest first; with `last`, only the newest `last` of them. */
  list(group: string, last?: number): SnapshotSummary[];
  /** How many snapshots a group has. */
  countIn(group: string): number;
  latest(group: string): SnapshotSummary | null;
  groups(visible?: (group: string) => boolean): GroupSummary[];
  /** Every snapshot id, in id order. */
  ids(): string[];
  /** Ids starting with a hex prefix, at most `limit` of them. */
  idsStartingWith(prefix: string, limit: number): string[];
  count(): number;
  /**
   * Appends the snapshot record and registers it together with `also` in one transaction:
   * the snapshot is either fully there or not at all.
   */
  commit(record: SnapshotRecord, also: CommitWith): Promise<SnapshotSummary>;
  /**
   * The same for a record already encoded elsewhere (replication): these exact bytes are
   * stored, so the snapshot keeps the id it has on the source. Throws if they do not decode.
   */
  commitRaw(raw: Uint8Array, also: CommitWith): Promise<SnapshotSummary>;
  /**
   * Deletes by appending a tombstone (a rebuilt index honours it); GC reclaims the data.
   * Refuses a protected snapshot (SNAPSHOT_PROTECTED). An unknown or already deleted id still
   * gets its tombstone and changes nothing else (idempotent; a tombstone also keeps a record
   * of that id from ever being registered).
   */
  delete(id: string, by: string): Promise<void>;
  /**
   * Deletes several snapshots in one commit (a tombstone each): unlike `delete`, those unknown
   * (or already deleted) are refused and reported, as are the protected ones; the rest are
   * deleted. Retention's prune deletes this way, in batches, and reports each refusal.
   */
  deleteMany(ids: readonly string[], by: string): Promise<DeletedMany>;
  /**
   * Protects a snapshot from deletion and pruning by appending a protection record (a
   * rebuilt index honours it; the latest record of a snapshot wins). A snapshot already
   * protected is left as it is. SNAPSHOT_NOT_FOUND for an unknown id. Answers the summary.
   */
  protect(id: string, by: string): Promise<SnapshotSummary>;
  /** Lifts the protection the same way (a record saying so); a no-op when not protected. */
  unprotect(id: string, by: string): Promise<SnapshotSummary>;
  /** What a prune asks before removing a snapshot (false for an unknown id). */
  isProtected(id: string): boolean;
}

/**
 * Backup sessions: records persisted in the index (a committed session stays committed
 * across restarts), pins in memory (the digests a `has` answered present or a tree check
 * vouched for: roots for a collector while the session is open).
 */
export interface SessionStore {
  get(id: string): SessionRecord | undefined;
  /**
   * Bookkeeping: a write that fails (a full disk) must not take the daemon down, so it
   * resolves anyway; the record in memory stays right and the next save carries it.
   */
  save(info: SessionRecord): Promise<void>;
  /** The live pin set of a session (latin1 digest keys), created on first use. */
  pins(id: string): Set<string>;
  /** Drops a session's pins (it committed or ended). */
  release(id: string): void;
  /** Every digest pinned by any session. */
  pinned(): Set<string>;
}

export interface Hold {
  /** Who holds it: an area's name and its subject, e.g. `replication:offsite`. */
  owner: string;
  kind: HoldKind;
  /** Snapshot id or object digest, hex. */
  target: string;
  reason: string;
  /** ISO 8601. */
  since: string;
}

/** Named holds other areas register (replication, drills); they survive restarts. */
export interface Holds {
  add(hold: Omit<Hold, 'since'>): Promise<void>;
  /** False when there was no such hold. */
  release(owner: string, kind: HoldKind, target: string): Promise<boolean>;
  list(owner?: string): Hold[];
  /** The holds on one target (a collector or prune asks before removing it). */
  on(kind: HoldKind, target: string): Hold[];
}

export interface SnapshotChange {
  seq: number;
  type: 'committed' | 'deleted' | 'protected' | 'unprotected';
  snapshot: string;
  group: string;
  /** ISO 8601: the snapshot's time (committed) or the deletion's. */
  time: string;
}

/** A position in the feed. The epoch names the index it belongs to (a rebuild starts a new one). */
export interface FeedCursor {
  epoch: string;
  seq: number;
}

export interface FeedPage {
  changes: SnapshotChange[];
  /** Where the next read continues. */
  cursor: FeedCursor;
  /** The cursor belonged to another index: start over from the catalogue, then from `cursor`. */
  reset: boolean;
}

/** Committed and deleted snapshots in the order they happened, readable from a cursor. */
export interface ChangeFeed {
  head(): FeedCursor;
  /** Changes after `cursor` (null: from the beginning of this index's feed). */
  after(cursor: FeedCursor | null, limit?: number): FeedPage;
}

export interface QuarantinedObject {
  digest: string;
  reason: string;
  since: string;
}

/**
 * Objects found damaged (by verification, a restore, a drill), kept on a list until written
 * anew by an upload or cleared. A quarantined object is absent to `isIndexed` (has).
 */
export interface Quarantine {
  /** `above`: trees that reach it; they lose their "complete" flag so that commits walk them again. */
  mark(digest: Uint8Array, reason: string, above?: readonly Uint8Array[]): Promise<void>;
  isQuarantined(digest: Uint8Array): boolean;
  list(): QuarantinedObject[];
  /** False when it was not quarantined. */
  clear(digest: Uint8Array): Promise<boolean>;
}

/** Every indexed object in digest order, a page at a time (verification's nightly rotation). */
export interface ObjectListing {
  /** Up to `limit` objects after `after` (null: from the first). */
  page(after: Uint8Array | null, limit: number): Array<{ digest: Buffer; kind: ObjectKind }>;
  count(): number;
}

/** What the datastore holds, for the dashboard and metrics. */
export interface StoreUsage {
  readonly id: string;
  /** The datastore directory (its file system's free space is the datastore's). */
  readonly root: string;
  /** Bytes of indexed records in the segments (compressed, deduplicated). */
  storedBytes(): number;
  snapshots(): number;
  /** The S3 backend's upload queue and cache; null on a plain directory. */
  objectStorage(): ObjectStorageStatus | null;
}
