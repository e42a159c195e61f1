// Reads every record of every segment and verifies it fully (CRCs while scanning, then
// decompress + SHA-256 in the worker pool, batched into transferred arenas). Shared by
// `store check` and `store rebuild-index`.

import { listSegments, segmentPath } from './segment-files.js';
import { scanSegment, type ScanEnd } from './segment-scanner.js';
import type { RecordHeader } from './record-format.js';
import type { Arena } from '../workers/arena-pool.js';
import type { VerifyPool } from '../workers/verify-pool.js';
import { DESCRIPTOR_FIELDS, VerifyStatus } from '../workers/verify-task.js';

export interface VerifiedRecord {
  segment: number;
  offset: number;
  header: RecordHeader;
  ok: boolean;
  status: number;
  /** The raw payload of snapshot and tombstone records (small), for the caller to decode. */
  stored: Buffer | null;
}

/** Status of a record whose payload failed its CRC (never sent to a worker). */
export const STATUS_CRC = 255;

export interface VerifyCallbacks {
  record(r: VerifiedRecord): void;
  /** Bytes between records that hold no recognisable record. */
  gap(segment: number, offset: number, length: number, problem: string): void;
  segmentEnd(segment: number, end: ScanEnd): void | Promise<void>;
  /** Which records' stored bytes to hand back (by kind). */
  keepStored?: (kind: number) => boolean;
}

export async function verifyAllSegments(root: string, pool: VerifyPool, cb: VerifyCallbacks): Promise<void> {
  for (const segment of listSegments(root)) {
    let arena: Arena | null = null;
    let used = 0;
    let items: Array<{ offset: number; header: RecordHeader; at: number; stored: Buffer | null }> = [];
    const inFlight = new Set<Promise<void>>();

    const submit = (): void => {
      const full = arena;
      const batch = items;
      arena = null;
      items = [];
      used = 0;
      if (!full) return;
      if (batch.length === 0) return pool.arenas.release(full);
      const descriptors = new Uint32Array(batch.length * DESCRIPTOR_FIELDS);
      const digests = new Uint8Array(batch.length * 32);
      batch.forEach((it, i) => {
        descriptors.set([it.at, it.header.storedLength, it.header.rawLength, it.header.codec], i * DESCRIPTOR_FIELDS);
        digests.set(it.header.digest, i * 32);
      });
      const work = pool
        .verify({ arena: full.shared, descriptors, digests })
        .then((res) => {
          batch.forEach((it, i) => {
            const status = res.status[i] as number;
            cb.record({ segment, offset: it.offset, header: it.header, ok: status === VerifyStatus.ok, status, stored: it.stored });
          });
        })
        .finally(() => {
          pool.arenas.release(full);
          inFlight.delete(work);
        });
      inFlight.add(work);
    };

    const scan = scanSegment(segmentPath(root, segment), 0, { resync: true });
    let end: ScanEnd;
    for (;;) {
      const step = await scan.next();
      if (step.done) {
        end = step.value;
        break;
      }
      if (step.value.kind === 'gap') {
        cb.gap(segment, step.value.offset, step.value.length, step.value.problem);
        continue;
      }
      const { offset, header, payload, damaged } = step.value;
      if (damaged) {
        cb.record({ segment, offset, header, ok: false, status: STATUS_CRC, stored: null });
        continue;
      }
      if (arena && used + payload.length > arena.size) submit();
      if (!arena) {
        while (inFlight.size > pool.threads * 2) await Promise.race(inFlight);
        arena = payload.length > pool.arenas.arenaBytes ? pool.arenas.oversize(payload.length) : await pool.arenas.acquire();
      }
      payload.copy(arena.bytes, used);
      const stored = cb.keepStored?.(header.kind) ? Buffer.from(payload) : null;
      items.push({ offset, header, at: used, stored });
      used += payload.length;
    }
    submit();
    await Promise.all(inFlight);
    await cb.segmentEnd(segment, end);
  }
}
