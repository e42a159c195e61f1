// `havend store rebuild-index`: a new LMDB index from the segments alone (DESIGN section 2:
// losing LMDB must never lose backups). Every record is verified; the first valid copy of
// each digest is indexed; snapshot records whose whole tree is present are registered and
// tombstones and protection records applied (the latest protection record of a snapshot
// wins), so deletions and protections survive a rebuild. The old index is kept aside until the
// new one is complete.

import { existsSync, renameSync, rmSync } from 'node:fs';
import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import { Codec, ObjectKind } from '../../../core/src/objects/kinds.js';
import {
  decodeProtection, decodeSnapshot, decodeTombstone, type ProtectionRecord, type SnapshotRecord, type TombstoneRecord,
} from '../../../core/src/objects/snapshot.js';
import { emptySessionStats } from '../../../core/src/api/wire-constants.js';
import { Zstd } from '../../../core/src/compress/zstd.js';
import type { VerifyPool } from '../workers/verify-pool.js';
import { readIdentity } from './identity.js';
import { encodeLocation, indexPath, markTreesComplete, openObjectIndex, type Location } from './object-index.js';
import { walkReachable } from './reachability.js';
import { SegmentReader, indexedSource } from './segment-reader.js';
import { verifyAllSegments } from './segment-verifier.js';
import { applyProtection, applyTombstone, registerSnapshot } from './snapshot-index.js';

export interface RebuildReport {
  records: number;
  objects: number;
  snapshots: number;
  tombstones: number;
  /** Protection records read (each snapshot keeps the state of its latest one). */
  protections: number;
  invalidRecords: number;
  /** Bytes after the last whole record of a segment (a torn tail). */
  tailBytes: number;
  notes: string[];
}

export async function rebuildIndex(root: string, pool: VerifyPool): Promise<RebuildReport> {
  const identity = readIdentity(root);
  if (!identity) throw new HavenError('DATASTORE_INVALID', { path: root, detail: 'no datastore here' });
  const path = indexPath(root);
  const aside = `${path}.old-${Date.now()}`;
  if (existsSync(path)) renameSync(path, aside);
  const report: RebuildReport = { records: 0, objects: 0, snapshots: 0, tombstones: 0, protections: 0, invalidRecords: 0, tailBytes: 0, notes: [] };
  const index = openObjectIndex(root, identity.id);
  const reader = new SegmentReader(root);
  const zstd = new Zstd();
  try {
    const found = new Map<string, Location>();
    const snapshots: Array<{ digest: Buffer; record: SnapshotRecord }> = [];
    const tombstones: TombstoneRecord[] = [];
    const protections: ProtectionRecord[] = [];
    const decodeOwn = (stored: Buffer, codec: number, rawLength: number): Buffer =>
      codec === Codec.zstd ? zstd.decompress(stored, rawLength) : stored;

    await verifyAllSegments(root, pool, {
      keepStored: (kind) => kind === ObjectKind.snapshot || kind === ObjectKind.tombstone || kind === ObjectKind.protection,
      record: (r) => {
        report.records++;
        if (!r.ok) {
          report.invalidRecords++;
          report.notes.push(`segment ${r.segment} offset ${r.offset}: record fails verification; not indexed`);
          return;
        }
        const k = toHex(r.header.digest);
        if (!found.has(k)) {
          found.set(k, {
            segment: r.segment, offset: r.offset, storedLength: r.header.storedLength, rawLength: r.header.rawLength,
            kind: r.header.kind, codec: r.header.codec, complete: false,
          });
        }
        if (r.stored && r.header.kind === ObjectKind.snapshot) {
          snapshots.push({ digest: Buffer.from(r.header.digest), record: decodeSnapshot(decodeOwn(r.stored, r.header.codec, r.header.rawLength)) });
        }
        if (r.stored && r.header.kind === ObjectKind.tombstone) tombstones.push(decodeTombstone(decodeOwn(r.stored, r.header.codec, r.header.rawLength)));
        if (r.stored && r.header.kind === ObjectKind.protection) protections.push(decodeProtection(decodeOwn(r.stored, r.header.codec, r.header.rawLength)));
      },
      gap: (segment, offset, length, problem) => {
        report.notes.push(`segment ${segment} offset ${offset}: skipped ${length} byte(s) holding no valid record (${problem})`);
      },
      segmentEnd: async (segment, end) => {
        // Bytes after the last whole record are left for the daemon's start-up recovery,
        // which cuts them as a torn tail; a rebuild never deletes anything itself.
        if (end.validLength < end.fileLength) {
          report.tailBytes += end.fileLength - end.validLength;
          report.notes.push(`segment ${segment}: ${end.fileLength - end.validLength} byte(s) after the last whole record at ${end.validLength}; the daemon cuts them at its next start`);
        }
        await index.segments.put(segment, { indexedLength: end.validLength });
      },
    });

    index.env.transactionSync(() => {
      for (const [k, loc] of found) index.objects.putSync(Buffer.from(k, 'hex'), encodeLocation(loc));
    });
    report.objects = found.size;

    const source = indexedSource(index, reader);
    const deleted = new Set(tombstones.map((t) => toHex(t.snapshot)));
    for (const s of snapshots) {
      if (deleted.has(toHex(s.digest))) continue;
      let walk;
      try {
        walk = await walkReachable(source, s.record.root);
      } catch (err) {
        // A tree no restore could trust (undecodable, a split directory that is not one
        // namespace, nested too deep): the record stays in its segment, unregistered.
        report.notes.push(`snapshot ${toHex(s.digest)} (${s.record.group}) is refused: ${(err as Error).message}; not registered`);
        continue;
      }
      if (walk.missing.length > 0) {
        report.notes.push(`snapshot ${toHex(s.digest)} (${s.record.group}) is incomplete: ${walk.missing.length} object(s) missing; not registered`);
        continue;
      }
      index.env.transactionSync(() => {
        if (registerSnapshot(index, s.digest, s.record)) report.snapshots++;
        markTreesComplete(index, walk.trees);
        index.sessions.putSync(s.record.session, {
          id: s.record.session, group: s.record.group, host: s.record.host, paths: s.record.paths, tags: s.record.tags,
          state: 'committed', started: new Date(s.record.time).toISOString(), updated: new Date(s.record.time).toISOString(),
          snapshot: toHex(s.digest),
          stats: emptySessionStats(),
        });
      });
    }
    index.env.transactionSync(() => {
      for (const t of tombstones) applyTombstone(index, t);
      // order-independent (applyProtection keeps the latest), so segment order is fine
      for (const p of protections) applyProtection(index, p);
    });
    report.tombstones = tombstones.length;
    report.protections = protections.length;
    await index.env.flushed;
  } catch (err) {
    await reader.close();
    await index.close();
    // Put the previous index back: a failed rebuild must not leave the store without one.
    rmSync(path, { recursive: true, force: true });
    if (existsSync(aside)) renameSync(aside, path);
    throw err;
  }
  await reader.close();
  await index.close();
  rmSync(aside, { recursive: true, force: true });
  return report;
}
