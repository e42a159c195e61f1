// Start-up recovery. After a crash, a segment may hold complete records past its indexed
// length (appended and maybe synced, but the index transaction never committed) and a torn
// record at its very end. Complete records are verified (CRC and SHA-256) and indexed; the
// torn tail is truncated. Snapshot records found this way were only ever written after their
// whole tree was present, so they are registered when their tree is still complete.

import { truncate } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { Zstd } from '../../../core/src/compress/zstd.js';
import { sha256, toHex } from '../../../core/src/objects/digest.js';
import { Codec, ObjectKind } from '../../../core/src/objects/kinds.js';
import {
  decodeProtection, decodeSnapshot, decodeTombstone, type ProtectionRecord, type SnapshotRecord, type TombstoneRecord,
} from '../../../core/src/objects/snapshot.js';
import { encodeLocation, type Location, type ObjectIndex } from './object-index.js';
import { walkReachable } from './reachability.js';
import { applyProtection, applyTombstone, registerSnapshot } from './snapshot-index.js';
import { listSegments, segmentPath } from './segment-files.js';
import { scanSegment, type ScanEnd } from './segment-scanner.js';
import { SegmentReader, indexedSource } from './segment-reader.js';

export interface RecoveryReport {
  /** Records found past the indexed length and indexed now. */
  recoveredRecords: number;
  /** Bytes cut from torn segment tails. */
  truncatedBytes: number;
  snapshotsRecovered: number;
  notes: string[];
}

export async function recoverSegments(root: string, index: ObjectIndex): Promise<RecoveryReport> {
  const report: RecoveryReport = { recoveredRecords: 0, truncatedBytes: 0, snapshotsRecovered: 0, notes: [] };
  const zstd = new Zstd();
  const found = new Map<string, Location>();
  const snapshots: Array<{ digest: Buffer; record: SnapshotRecord }> = [];
  const tombstones: TombstoneRecord[] = [];
  const protections: ProtectionRecord[] = [];
  const lengths = new Map<number, number>();

  for (const id of listSegments(root)) {
    const path = segmentPath(root, id);
    const indexed = index.segments.get(id)?.indexedLength ?? 0;
    const size = statSync(path).size;
    if (size === indexed) continue;
    if (size < indexed) {
      report.notes.push(`segment ${id} is ${size} bytes but ${indexed} are indexed: it was cut outside havend; run havend store check`);
      continue;
    }
    const scan = scanSegment(path, indexed);
    let end: ScanEnd;
    for (;;) {
      const step = await scan.next();
      if (step.done) {
        end = step.value;
        break;
      }
      if (step.value.kind !== 'record') continue; // gaps only come in resync mode
      const { offset, header, payload } = step.value;
      const raw = header.codec === Codec.zstd ? safeDecompress(zstd, payload, header.rawLength) : payload;
      if (raw === null || !sha256(raw).equals(Buffer.from(header.digest))) {
        end = { validLength: offset, fileLength: size, problem: `record at ${offset} fails its SHA-256 check` };
        await scan.return({ validLength: offset, fileLength: size, problem: null });
        break;
      }
      const k = toHex(header.digest);
      if (!found.has(k) && !index.objects.doesExist(Buffer.from(header.digest))) {
        found.set(k, {
          segment: id, offset, storedLength: header.storedLength, rawLength: header.rawLength,
          kind: header.kind, codec: header.codec, complete: false,
        });
      }
      if (header.kind === ObjectKind.snapshot) snapshots.push({ digest: Buffer.from(header.digest), record: decodeSnapshot(raw) });
      if (header.kind === ObjectKind.tombstone) tombstones.push(decodeTombstone(raw));
      if (header.kind === ObjectKind.protection) protections.push(decodeProtection(raw));
      report.recoveredRecords++;
    }
    if (end.validLength < end.fileLength) {
      report.truncatedBytes += end.fileLength - end.validLength;
      report.notes.push(`segment ${id}: cut ${end.fileLength - end.validLength} bytes at ${end.validLength} (${end.problem ?? 'torn record'})`);
      await truncate(path, end.validLength);
    }
    lengths.set(id, end.validLength);
  }
  if (lengths.size === 0) return report;

  index.env.transactionSync(() => {
    for (const [k, loc] of found) index.objects.putSync(Buffer.from(k, 'hex'), encodeLocation(loc));
    for (const [id, len] of lengths) index.segments.putSync(id, { indexedLength: len });
  });

  // Snapshots need their trees readable, so they are checked after the objects are indexed.
  const reader = new SegmentReader(root);
  const source = indexedSource(index, reader);
  const complete: Array<{ digest: Buffer; record: SnapshotRecord }> = [];
  for (const s of snapshots) {
    let missing: number;
    try {
      missing = (await walkReachable(source, s.record.root, { missingLimit: 1 })).missing.length;
    } catch (err) {
      // A tree no restore could trust: the daemon must still start; the record stays in its segment.
      report.notes.push(`snapshot ${toHex(s.digest)} found in a segment is refused: ${(err as Error).message}; not registered`);
      continue;
    }
    if (missing === 0) complete.push(s);
    else report.notes.push(`snapshot ${toHex(s.digest)} found in a segment is incomplete; not registered`);
  }
  index.env.transactionSync(() => {
    for (const s of complete) if (registerSnapshot(index, s.digest, s.record)) report.snapshotsRecovered++;
    for (const t of tombstones) applyTombstone(index, t);
    for (const p of protections) applyProtection(index, p);
  });
  await index.env.flushed;
  await reader.close();
  return report;
}

function safeDecompress(zstd: Zstd, payload: Buffer, rawLength: number): Buffer | null {
  try {
    return zstd.decompress(payload, rawLength);
  } catch {
    return null;
  }
}
