// The datastore's LMDB index: authoritative for lookups, rebuildable from segments.
//
// Databases in one environment (datastore/index):
//   objects    digest (32 bytes) -> location (20 bytes, see encodeLocation)
//   segments   segment id -> { indexedLength }: how far the segment's records are indexed
//   snapshots  snapshot digest -> SnapshotEntry
//   bygroup    [group, time, id] -> null   (ordered listing per group)
//   tombstones snapshot digest -> { time, by }
//   protections snapshot digest -> ProtectionEntry: the latest protection record's state
//   sessions   session id -> SessionRecord
//   holds      [owner, kind, target] -> HoldEntry       (not rebuilt: see holds.ts)
//   feed       sequence number -> FeedEntry              (see change-feed.ts)
//   quarantine object digest -> QuarantineEntry         (not rebuilt: see quarantine.ts)
//   condemned  object digest -> empty: unreferenced at the last GC run, reclaimed by the next
//              unless referenced again                 (not rebuilt: see daemon/src/gc/)
//   retired    segment id -> RetiredEntry: compacted, its live records moved; the file is
//              removed once its readers finish, or at the next start (not rebuilt)
//   uploaded   segment id -> UploadedEntry: sealed and verified in the S3 bucket (datastore.backend
//              s3): its local file is only cache from then on (see s3/segment-uploads.ts)
//   meta       'datastoreId' | 'indexVersion' | 'feedEpoch' | 'gc' -> value
//
// Only files in this folder open these databases; the rest of the daemon goes through the
// interfaces in store-api.ts.

import { open, type Database, type RootDatabase } from 'lmdb';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HavenError } from '../../../core/src/errors.js';
import type { Codec, ObjectKind } from '../../../core/src/objects/kinds.js';
import type { SessionInfo } from '../../../core/src/api/backup.js';

export const INDEX_VERSION = 1;

export interface Location {
  segment: number;
  offset: number;
  storedLength: number;
  rawLength: number;
  kind: ObjectKind;
  codec: Codec;
  /** A tree whose every descendant was verified present at a commit (lets commits skip it). */
  complete: boolean;
  /**
   * A complete tree's height (directory levels below it), recorded with the flag so that a
   * commit reaching it knows how deep the snapshot nests without walking it; undefined for
   * trees flagged before heights were recorded (walked once more, then recorded).
   */
  height?: number;
}

const LOCATION_BYTES = 20;
const FLAG_COMPLETE = 1;
/** Heights are stored plus one (0: unknown) in 15 bits: byte 19 and the upper 7 bits of byte 18. */
const MAX_STORED_HEIGHT = 0x7ffe;

export function encodeLocation(l: Location): Buffer {
  const b = Buffer.allocUnsafe(LOCATION_BYTES);
  b.writeUInt32BE(l.segment, 0);
  b.writeUInt32BE(l.offset, 4);
  b.writeUInt32BE(l.storedLength, 8);
  b.writeUInt32BE(l.rawLength, 12);
  b[16] = l.kind;
  b[17] = l.codec;
  const h = l.complete && l.height !== undefined && l.height <= MAX_STORED_HEIGHT ? l.height + 1 : 0;
  b[18] = (l.complete ? FLAG_COMPLETE : 0) | ((h >> 8) << 1);
  b[19] = h & 0xff;
  return b;
}

export function decodeLocation(b: Uint8Array): Location {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const loc: Location = {
    segment: buf.readUInt32BE(0),
    offset: buf.readUInt32BE(4),
    storedLength: buf.readUInt32BE(8),
    rawLength: buf.readUInt32BE(12),
    kind: buf[16] as ObjectKind,
    codec: buf[17] as Codec,
    complete: ((buf[18] as number) & FLAG_COMPLETE) !== 0,
  };
  const h = (((buf[18] as number) >> 1) << 8) | (buf[19] as number);
  if (loc.complete && h > 0) loc.height = h - 1;
  return loc;
}

/**
 * The fields of an index entry a pass over the whole index reads, taken from its bytes as they
 * are asked for: one view re-pointed at each entry instead of a Location object per entry (a
 * collection passes over millions; decodeLocation was 4.3 of 55 CPU-s on a million objects).
 * Valid only until the next `at`.
 */
export class LocationView {
  private b: Uint8Array = new Uint8Array(LOCATION_BYTES);
  at(raw: Uint8Array): this {
    this.b = raw;
    return this;
  }
  private u32(i: number): number {
    const b = this.b;
    return (((b[i] as number) << 24) >>> 0) + ((b[i + 1] as number) << 16) + ((b[i + 2] as number) << 8) + (b[i + 3] as number);
  }
  get segment(): number { return this.u32(0); }
  get offset(): number { return this.u32(4); }
  get storedLength(): number { return this.u32(8); }
  get kind(): ObjectKind { return this.b[16] as ObjectKind; }
  get complete(): boolean { return ((this.b[18] as number) & FLAG_COMPLETE) !== 0; }
}

/** A copy of an index entry pointing at another place (compaction's switch; the flags and lengths stay). */
export function relocated(raw: Uint8Array, segment: number, offset: number): Buffer {
  const b = Buffer.allocUnsafe(LOCATION_BYTES);
  b.set(raw.subarray(0, LOCATION_BYTES));
  b.writeUInt32BE(segment, 0);
  b.writeUInt32BE(offset, 4);
  return b;
}

/** Flags trees complete with their heights (call inside a write transaction). */
export function markTreesComplete(index: Pick<ObjectIndex, 'objects'>, trees: ReadonlyArray<{ digest: Uint8Array; height: number }>): void {
  for (const { digest, height } of trees) {
    const raw = index.objects.getBinary(digest as Buffer);
    if (!raw) continue;
    const loc = decodeLocation(raw);
    if (!loc.complete || loc.height !== height) index.objects.putSync(Buffer.from(digest), encodeLocation({ ...loc, complete: true, height }));
  }
}

export interface SnapshotEntry {
  group: string;
  time: number;
  host: string;
  paths: string[];
  tags: string[];
  root: string;
  parent?: string;
  session: string;
  stats: Record<string, number>;
}

export interface TombstoneEntry {
  time: number;
  by: string;
  /**
   * Set by garbage collection when it reclaims the deleted snapshot's record: the segment that
   * still holds the record's bytes. The tombstone is kept while that segment exists, so that a
   * rebuilt index never resurrects the snapshot (see daemon/src/gc/roots.ts).
   */
  recordSegment?: number;
}

export interface SegmentEntry {
  indexedLength: number;
}

export type SessionRecord = SessionInfo;

export type HoldKind = 'snapshot' | 'object';

export interface HoldEntry {
  reason: string;
  /** Unix milliseconds. */
  since: number;
}

export interface FeedEntry {
  type: 'committed' | 'deleted' | 'protected' | 'unprotected';
  snapshot: string;
  group: string;
  /** The snapshot's time (committed), the deletion's (deleted) or the protection change's, Unix milliseconds. */
  time: number;
}

/** The state a snapshot's latest protection record gave it (absent: never protected). */
export interface ProtectionEntry {
  protected: boolean;
  /** The record's time, Unix milliseconds: a record applies only if it is later. */
  time: number;
  by: string;
}

export interface RetiredEntry {
  /** Unix milliseconds: when compaction switched its records away. */
  since: number;
}

export interface UploadedEntry {
  bytes: number;
  etag: string;
}

export interface QuarantineEntry {
  reason: string;
  since: number;
}

export interface ObjectIndex {
  env: RootDatabase;
  objects: Database<Buffer, Buffer>;
  segments: Database<SegmentEntry, number>;
  snapshots: Database<SnapshotEntry, Buffer>;
  bygroup: Database<null, [string, number, string]>;
  tombstones: Database<TombstoneEntry, Buffer>;
  protections: Database<ProtectionEntry, Buffer>;
  sessions: Database<SessionRecord, string>;
  holds: Database<HoldEntry, [string, HoldKind, string]>;
  feed: Database<FeedEntry, number>;
  quarantine: Database<QuarantineEntry, Buffer>;
  condemned: Database<Buffer, Buffer>;
  retired: Database<RetiredEntry, number>;
  uploaded: Database<UploadedEntry, number>;
  meta: Database<unknown, string>;
  close(): Promise<void>;
}

export function indexPath(datastoreRoot: string): string {
  return join(datastoreRoot, 'index');
}

export function openObjectIndex(datastoreRoot: string, datastoreId: string): ObjectIndex {
  const path = indexPath(datastoreRoot);
  mkdirSync(path, { recursive: true });
  const env = open({ path, maxDbs: 16, noMemInit: true });
  const index: ObjectIndex = {
    env,
    objects: env.openDB<Buffer, Buffer>({ name: 'objects', keyEncoding: 'binary', encoding: 'binary' }),
    segments: env.openDB<SegmentEntry, number>({ name: 'segments', keyEncoding: 'uint32' }),
    snapshots: env.openDB<SnapshotEntry, Buffer>({ name: 'snapshots', keyEncoding: 'binary' }),
    bygroup: env.openDB<null, [string, number, string]>({ name: 'bygroup' }),
    tombstones: env.openDB<TombstoneEntry, Buffer>({ name: 'tombstones', keyEncoding: 'binary' }),
    protections: env.openDB<ProtectionEntry, Buffer>({ name: 'protections', keyEncoding: 'binary' }),
    sessions: env.openDB<SessionRecord, string>({ name: 'sessions' }),
    holds: env.openDB<HoldEntry, [string, HoldKind, string]>({ name: 'holds' }),
    feed: env.openDB<FeedEntry, number>({ name: 'feed', keyEncoding: 'uint32' }),
    quarantine: env.openDB<QuarantineEntry, Buffer>({ name: 'quarantine', keyEncoding: 'binary' }),
    condemned: env.openDB<Buffer, Buffer>({ name: 'condemned', keyEncoding: 'binary', encoding: 'binary' }),
    retired: env.openDB<RetiredEntry, number>({ name: 'retired', keyEncoding: 'uint32' }),
    uploaded: env.openDB<UploadedEntry, number>({ name: 'uploaded', keyEncoding: 'uint32' }),
    meta: env.openDB<unknown, string>({ name: 'meta' }),
    close: () => env.close(),
  };
  const storedId = index.meta.get('datastoreId');
  const version = index.meta.get('indexVersion');
  if (storedId === undefined) {
    index.meta.putSync('datastoreId', datastoreId);
    index.meta.putSync('indexVersion', INDEX_VERSION);
  } else if (storedId !== datastoreId) {
    void env.close();
    throw new HavenError('DATASTORE_INVALID', {
      path: datastoreRoot,
      detail: `the index belongs to datastore ${String(storedId)}, not ${datastoreId}; run havend store rebuild-index`,
    });
  } else if (typeof version === 'number' && version > INDEX_VERSION) {
    void env.close();
    throw new HavenError('DATASTORE_TOO_NEW', { path: datastoreRoot, found: `index ${version}`, supported: `index ${INDEX_VERSION}` });
  }
  // The feed's sequence starts over in every index (a rebuilt one, or one made before the
  // feed existed): the epoch tells a reader that its cursor belongs to another index.
  if (index.meta.get('feedEpoch') === undefined) index.meta.putSync('feedEpoch', randomBytes(8).toString('hex'));
  return index;
}
