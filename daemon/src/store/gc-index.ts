// What garbage collection (daemon/src/gc/) reads and writes in the index. The collector's
// algorithm lives there; the table layout stays in this folder (store-api.ts).
//
// Every scan reads the objects table in chunks, each in its own short read transaction, and
// yields to the event loop between chunks: a long read transaction would keep LMDB from
// reusing pages while backups write, and the daemon must keep serving uploads meanwhile.

import { grown } from '../../../core/src/bytes/grown.js';
import { sha256 } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { encodeProtection, encodeTombstone } from '../../../core/src/objects/snapshot.js';
import { LocationView, decodeLocation, encodeLocation, type Location, type ObjectIndex } from './object-index.js';
import { RECORD_HEADER_BYTES } from './record-format.js';

/** Entries per read transaction: small enough that one chunk holds the event loop a few milliseconds. */
const CHUNK = 16_384;

/**
 * Calls `each` for every indexed object in digest order, a chunk per read transaction. The
 * digest passed may be a view of a buffer LMDB reuses: copy it to keep it.
 */
export async function scanObjects(index: ObjectIndex, each: (digest: Buffer, loc: LocationView) => void): Promise<number> {
  const view = new LocationView();
  let after: Buffer | undefined;
  let n = 0;
  for (;;) {
    let last: Buffer | undefined;
    let inChunk = 0;
    for (const { key, value } of index.objects.getRange({ start: after, limit: CHUNK + 1 })) {
      if (after && key.equals(after)) continue;
      if (inChunk === CHUNK) break;
      each(key, view.at(value));
      last = key;
      inChunk++;
      n++;
    }
    if (!last || inChunk < CHUNK) return n;
    after = Buffer.from(last);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Bytes a record takes in its segment. */
export function recordBytes(loc: Pick<Location, 'storedLength'>): number {
  return RECORD_HEADER_BYTES + loc.storedLength;
}

/** The digests the last run condemned, ascending, packed 32 bytes apiece (read in chunks, like scanObjects). */
export async function condemnedDigests(index: ObjectIndex): Promise<Buffer> {
  let packed = Buffer.allocUnsafe(32 * 4096);
  let n = 0;
  let after: Buffer | undefined;
  for (;;) {
    let inChunk = 0;
    for (const key of index.condemned.getKeys({ start: after, limit: CHUNK + 1 })) {
      if (after && key.equals(after)) continue;
      if (inChunk === CHUNK) break;
      if ((n + 1) * 32 > packed.length) packed = grown(packed);
      key.copy(packed, n * 32, 0, 32);
      n++;
      inChunk++;
    }
    if (inChunk < CHUNK) return packed.subarray(0, n * 32);
    after = Buffer.from(packed.subarray((n - 1) * 32, n * 32));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Snapshot records, their latest protection records and the tombstones still needed, as digests with kinds. */
export interface IndexRoots {
  /** Live snapshots: record digest and root tree digest. */
  snapshots: Array<{ id: Buffer; root: Buffer }>;
  /** Own records to keep (protection records of live snapshots, tombstones). */
  records: Buffer[];
}

/**
 * A deletion tombstone is kept while the deleted snapshot's record may still be read by a
 * rebuild: while the record is indexed, or until the segment that held it when it was
 * reclaimed is gone. Without one, `rebuild-index` would resurrect the snapshot with its data
 * gone. A tombstone of unknown history (no recordSegment and no record indexed) is kept.
 */
export function indexRoots(index: ObjectIndex): IndexRoots {
  const snapshots: IndexRoots['snapshots'] = [];
  const records: Buffer[] = [];
  for (const { key, value } of index.snapshots.getRange()) {
    snapshots.push({ id: Buffer.from(key), root: Buffer.from(value.root, 'hex') });
    const p = index.protections.get(key);
    if (p) records.push(sha256(encodeProtection({ snapshot: key, protected: p.protected, time: p.time, by: p.by })));
  }
  for (const { key, value } of index.tombstones.getRange()) {
    const recordMayRemain = index.objects.doesExist(key) || value.recordSegment === undefined || index.segments.doesExist(value.recordSegment);
    if (recordMayRemain) records.push(sha256(encodeTombstone({ snapshot: key, time: value.time, by: value.by })));
  }
  return { snapshots, records };
}

export interface Removed {
  objects: number;
  bytes: number;
  /** Dead bytes this removal added per segment. */
  bySegment: Map<number, number>;
}

/**
 * Removes index entries (call inside a write transaction). A reclaimed snapshot record
 * leaves its segment on its tombstone (see indexRoots); a reclaimed tree loses nothing else.
 */
export function removeObjects(index: ObjectIndex, digests: readonly Buffer[]): Removed {
  const out: Removed = { objects: 0, bytes: 0, bySegment: new Map() };
  const view = new LocationView();
  for (const d of digests) {
    index.condemned.removeSync(d);
    const raw = index.objects.getBinary(d);
    if (!raw) continue;
    // read before the removal: the entry's bytes are LMDB's until then
    const loc = view.at(raw);
    const [segment, bytes, kind] = [loc.segment, recordBytes(loc), loc.kind];
    index.objects.removeSync(d);
    out.objects++;
    out.bytes += bytes;
    out.bySegment.set(segment, (out.bySegment.get(segment) ?? 0) + bytes);
    if (kind === ObjectKind.snapshot) {
      const t = index.tombstones.get(d);
      if (t) index.tombstones.putSync(d, { ...t, recordSegment: segment });
    }
  }
  return out;
}

/** Drops the "complete" flag of trees (inside a write transaction): a commit reaching one walks it again. */
export function clearComplete(index: ObjectIndex, trees: readonly Buffer[]): void {
  for (const d of trees) {
    const raw = index.objects.getBinary(d);
    if (!raw) continue;
    const loc = decodeLocation(raw);
    if (loc.complete) index.objects.putSync(d, encodeLocation({ ...loc, complete: false }));
  }
}

/** Records condemned digests (inside a write transaction). */
export function addCondemned(index: ObjectIndex, digests: readonly Buffer[]): void {
  const empty = Buffer.alloc(0);
  for (const d of digests) if (index.objects.doesExist(d)) index.condemned.putSync(d, empty);
}

/** Forgets every condemned digest (inside a write transaction): those left were revived. */
export function clearCondemned(index: ObjectIndex): void {
  index.condemned.clearSync();
}

/** What the collector keeps between runs (meta key 'gc'). */
export interface GcMeta {
  /** Sessions open while the last run condemned: the next run reclaims only once all have ended. */
  openSessions: string[];
  condemnedObjects: number;
  condemnedBytes: number;
  /** Bytes in segments no index entry points at, after the last run. */
  deadBytes: number;
  /** ISO 8601 end of the last run. */
  lastRun: string;
}

export function readGcMeta(index: ObjectIndex): GcMeta | null {
  return (index.meta.get('gc') as GcMeta | undefined) ?? null;
}

export function writeGcMeta(index: ObjectIndex, meta: GcMeta): void {
  index.meta.putSync('gc', meta);
}

/** Sealed segments (below `before`) with their indexed lengths. */
export function segmentLengths(index: ObjectIndex, before: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const { key, value } of index.segments.getRange()) if (key < before && !index.retired.doesExist(key)) out.set(key, value.indexedLength);
  return out;
}
