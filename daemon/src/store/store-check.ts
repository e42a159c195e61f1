// `havend store check`: every record verified (CRCs, decompression, SHA-256), every index
// entry pointing at a valid record holding its digest, and every snapshot's whole tree
// present. Read-only: it opens the index without running recovery.

import { toHex } from '../../../core/src/objects/digest.js';
import { kindName } from '../../../core/src/objects/kinds.js';
import { HavenError } from '../../../core/src/errors.js';
import { readIdentity } from './identity.js';
import { decodeLocation, openObjectIndex, type Location } from './object-index.js';
import { walkReachable } from './reachability.js';
import { SegmentReader, indexedSource } from './segment-reader.js';
import { STATUS_CRC, verifyAllSegments } from './segment-verifier.js';
import type { VerifyPool } from '../workers/verify-pool.js';

export interface CheckReport {
  datastore: string;
  segments: number;
  records: number;
  bytes: number;
  indexedObjects: number;
  snapshots: number;
  reachableObjects: number;
  /** Records not referenced by the index (duplicates, or a tail the daemon will recover). */
  unindexedRecords: number;
  /**
   * Damaged records the index does not point at: replaced by a re-upload after verification
   * quarantined them (or no longer needed). Not a problem: compaction drops them.
   */
  replacedRecords: number;
  problems: string[];
  ok: boolean;
}

export async function checkStore(root: string, pool: VerifyPool): Promise<CheckReport> {
  const identity = readIdentity(root);
  if (!identity) throw new HavenError('DATASTORE_INVALID', { path: root, detail: 'no datastore here' });
  const index = openObjectIndex(root, identity.id);
  const reader = new SegmentReader(root);
  const problems: string[] = [];
  const report: CheckReport = {
    datastore: identity.id, segments: 0, records: 0, bytes: 0, indexedObjects: 0, snapshots: 0,
    reachableObjects: 0, unindexedRecords: 0, replacedRecords: 0, problems, ok: false,
  };
  try {
    // Valid records by position, to check index entries against; damaged digests, to name
    // the snapshots they break.
    const valid = new Set<string>();
    const damaged = new Set<string>();
    // Bytes past a segment's indexed length are not damage: they are the tail of a segment
    // being appended to (with direct I/O, zero padding up to the next 4 KiB) or one that start-up
    // recovery will index or cut. They are counted, never reported as problems.
    const pastIndexed = (segment: number, offset: number): boolean => offset >= (index.segments.get(segment)?.indexedLength ?? 0);
    const tails = new Set<number>();
    /** Damaged records within the indexed length: problems only if the index points at them. */
    const damagedRecords: Array<{ segment: number; offset: number; digest: string; problem: string }> = [];
    const tail = (segment: number): void => {
      if (!tails.has(segment)) report.unindexedRecords++;
      tails.add(segment);
    };
    await verifyAllSegments(root, pool, {
      record: (r) => {
        report.records++;
        report.bytes += r.header.storedLength;
        if (!r.ok && pastIndexed(r.segment, r.offset)) {
          tail(r.segment);
          return;
        }
        if (!r.ok) {
          const why = r.status === STATUS_CRC ? 'payload checksum mismatch' : `content does not match its digest (status ${r.status})`;
          const digest = toHex(r.header.digest);
          damagedRecords.push({ segment: r.segment, offset: r.offset, digest, problem: `segment ${r.segment} offset ${r.offset}: ${kindName(r.header.kind)} ${digest}: ${why}` });
          return;
        }
        valid.add(`${r.segment}:${r.offset}:${toHex(r.header.digest)}`);
      },
      gap: (segment, offset, length, problem) => {
        if (pastIndexed(segment, offset)) tail(segment);
        else problems.push(`segment ${segment} offset ${offset}: ${length} byte(s) hold no valid record (${problem})`);
      },
      segmentEnd: (segment, end) => {
        report.segments++;
        const indexed = index.segments.get(segment)?.indexedLength ?? 0;
        if (end.validLength < indexed) {
          problems.push(`segment ${segment}: valid records end at ${end.validLength} but ${indexed} bytes are indexed (${end.problem ?? 'truncated'})`);
        }
      },
    });

    for (const { key, value } of index.objects.getRange()) {
      report.indexedObjects++;
      const loc: Location = decodeLocation(value);
      if (!valid.has(`${loc.segment}:${loc.offset}:${toHex(key)}`)) {
        damaged.add(toHex(key));
        problems.push(`index entry ${toHex(key)} points at segment ${loc.segment} offset ${loc.offset}, which holds no valid record of it`);
      }
    }
    report.unindexedRecords += Math.max(0, valid.size - report.indexedObjects);
    for (const d of damagedRecords) {
      const raw = index.objects.getBinary(Buffer.from(d.digest, 'hex'));
      const loc = raw ? decodeLocation(raw) : null;
      if (loc === null || loc.segment !== d.segment || loc.offset !== d.offset) {
        report.replacedRecords++;
        continue;
      }
      problems.push(d.problem);
      damaged.add(d.digest);
    }

    const source = indexedSource(index, reader);
    const reachable = new Set<string>();
    for (const { key, value } of index.snapshots.getRange()) {
      report.snapshots++;
      const id = toHex(key);
      if (!source.locate(key)) problems.push(`snapshot ${id} has no record in the index`);
      try {
        let hits = 0;
        const walk = await walkReachable(source, Buffer.from(value.root, 'hex'), {
          ignoreComplete: true,
          visit: (d) => {
            const hex = toHex(d);
            reachable.add(hex);
            if (damaged.has(hex) && hits++ < 20) problems.push(`snapshot ${id} (${value.group}): object ${hex} is damaged`);
          },
        });
        for (const m of walk.missing) problems.push(`snapshot ${id} (${value.group}): object ${toHex(m)} is missing`);
      } catch (err) {
        problems.push(`snapshot ${id} (${value.group}): ${(err as Error).message}`);
      }
    }
    report.reachableObjects = reachable.size;
    // A snapshot listed by group must exist (the two tables are written together).
    for (const [group, , id] of index.bygroup.getKeys()) {
      if (!index.snapshots.doesExist(Buffer.from(id, 'hex'))) problems.push(`group ${group} lists snapshot ${id}, which is not in the index`);
    }
  } finally {
    await reader.close();
    await index.close();
  }
  report.ok = problems.length === 0;
  return report;
}
