// Compaction: sealed segments that are mostly dead are rewritten. Their live records (those
// the index still points at) are copied into the segment being appended to, re-verified on
// the way (CRC, decompression, SHA-256), synced, and the index switched to the copies in the
// transaction that commits them (ChunkStore.moveRecords). The old file is removed only after
// that commit and after reads of it finish; a crash before leaves the old file authoritative
// (the copies are unindexed duplicates), a crash after leaves a retired entry that the next
// start completes. Bounded bytes per run and a rate limit keep the disk for backups.

import { setTimeout as sleep } from 'node:timers/promises';
import type { CompactionSummary } from '../../../core/src/api/gc.js';
import { Zstd } from '../../../core/src/compress/zstd.js';
import { sha256, toHex } from '../../../core/src/objects/digest.js';
import { Codec } from '../../../core/src/objects/kinds.js';
import type { Config } from '../config/schema.js';
import type { ChunkStore, MovedRecord } from '../store/chunk-store.js';
import { decodeLocation } from '../store/object-index.js';
import { RECORD_HEADER_BYTES } from '../store/record-format.js';
import { segmentPath } from '../store/segment-files.js';
import { scanSegment } from '../store/segment-scanner.js';

/** Copies are committed in batches of about this many bytes. */
const BATCH_BYTES = 8 << 20;

export interface SegmentLiveness {
  id: number;
  /** Indexed length of the segment. */
  size: number;
  /** Bytes of records the index points at. */
  live: number;
}

export interface CompactionPlan {
  chosen: SegmentLiveness[];
  /** Over the threshold or the budget but left for a later run (byte budget spent). */
  left: number;
}

/**
 * Picks segments to rewrite, deadest first: every one whose dead fraction reaches the
 * threshold, then more while the datastore's dead bytes exceed the unused budget; at most
 * `maxRewriteBytes` of live data copied per run.
 */
export function planCompaction(segments: readonly SegmentLiveness[], config: Config['gc']): CompactionPlan {
  const dead = (s: SegmentLiveness): number => Math.max(0, s.size - s.live);
  const fraction = (s: SegmentLiveness): number => (s.size > 0 ? dead(s) / s.size : 0);
  const sorted = segments.filter((s) => dead(s) > 0).sort((a, b) => fraction(b) - fraction(a));
  const total = segments.reduce((n, s) => n + s.size, 0);
  let totalDead = segments.reduce((n, s) => n + dead(s), 0);
  let rewrite = 0;
  const chosen: SegmentLiveness[] = [];
  let left = 0;
  for (const s of sorted) {
    const wanted = fraction(s) >= config.compactThreshold || totalDead > config.unusedBudget * total;
    if (!wanted) break;
    if (rewrite + s.live > config.maxRewriteBytes) {
      left++;
      continue;
    }
    chosen.push(s);
    rewrite += s.live;
    totalDead -= dead(s);
  }
  return { chosen, left };
}

export interface CompactionContext {
  signal: AbortSignal;
  log(message: string, level?: 'info' | 'warn'): void;
  progress(done: number, of: number): void;
}

/** Throttles to a byte rate by sleeping after each batch. */
class RateLimit {
  private readonly start = performance.now();
  private bytes = 0;

  constructor(private readonly perSecond: number, private readonly signal: AbortSignal) {}

  /** Sleeps until `bytes` more fit the rate; a cancelled run stops sleeping at once. */
  async spend(bytes: number): Promise<void> {
    if (this.perSecond <= 0) return;
    this.bytes += bytes;
    const due = (this.bytes / this.perSecond) * 1000 - (performance.now() - this.start);
    if (due > 0) await sleep(due, undefined, { signal: this.signal }).catch(() => undefined);
  }
}

export async function compact(store: ChunkStore, plan: CompactionPlan, config: Config['gc'], ctx: CompactionContext): Promise<CompactionSummary> {
  const out: CompactionSummary = { segments: 0, bytesRewritten: 0, bytesFreed: 0, segmentsLeft: plan.left };
  const rate = new RateLimit(config.rateBytesPerSecond, ctx.signal);
  const zstd = new Zstd();
  for (const [i, s] of plan.chosen.entries()) {
    if (ctx.signal.aborted) {
      out.segmentsLeft += plan.chosen.length - i;
      break;
    }
    ctx.progress(i, plan.chosen.length);
    const moved = await rewriteSegment(store, s.id, zstd, rate, ctx);
    if (moved === null) continue;
    out.segments++;
    out.bytesRewritten += moved;
    out.bytesFreed += await store.removeRetired(s.id);
  }
  return out;
}

/** Copies one segment's live records and retires it; null when it was left alone (damage found). */
async function rewriteSegment(store: ChunkStore, segment: number, zstd: Zstd, rate: RateLimit, ctx: CompactionContext): Promise<number | null> {
  const indexed = store.index.segments.get(segment)?.indexedLength ?? 0;
  const scan = scanSegment(segmentPath(store.root, segment), 0);
  let batch: MovedRecord[] = [];
  let batchBytes = 0;
  let moved = 0;
  for (;;) {
    const step = await scan.next();
    if (step.done) {
      if (step.value.validLength < indexed) {
        ctx.log(`segment ${segment}: records end at ${step.value.validLength} of ${indexed} indexed bytes (${step.value.problem ?? 'cut short'}); left for havend store check`, 'warn');
        return null;
      }
      break;
    }
    const r = step.value;
    if (r.kind !== 'record' || r.offset >= indexed) continue;
    const raw = store.index.objects.getBinary(Buffer.from(r.header.digest));
    if (!raw) continue;
    const loc = decodeLocation(raw);
    if (loc.segment !== segment || loc.offset !== r.offset) continue; // a duplicate: the index points elsewhere
    if (!verifies(zstd, r.header.codec, r.payload, r.header.rawLength, r.header.digest)) {
      ctx.log(`segment ${segment} offset ${r.offset}: ${toHex(r.header.digest)} fails verification; segment left for havend store check`, 'warn');
      await scan.return({ validLength: r.offset, fileLength: indexed, problem: null });
      return null;
    }
    batch.push({ header: r.header, payloadCrc: r.header.payloadCrc, payload: Buffer.from(r.payload), from: { segment, offset: r.offset } });
    batchBytes += RECORD_HEADER_BYTES + r.payload.length;
    if (batchBytes >= BATCH_BYTES) {
      await store.moveRecords(batch, null);
      moved += batchBytes;
      await rate.spend(2 * batchBytes);
      batch = [];
      batchBytes = 0;
      if (ctx.signal.aborted) return null; // what moved is switched; the rest stays where it is
    }
  }
  await store.moveRecords(batch, segment);
  moved += batchBytes;
  await rate.spend(2 * batchBytes + (indexed - moved));
  return moved;
}

function verifies(zstd: Zstd, codec: Codec, payload: Buffer, rawLength: number, digest: Uint8Array): boolean {
  try {
    const raw = codec === Codec.zstd ? zstd.decompress(payload, rawLength) : payload;
    return sha256(raw).equals(Buffer.from(digest));
  } catch {
    return false;
  }
}
