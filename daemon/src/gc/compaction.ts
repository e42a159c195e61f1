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

/**
 * Copies shared by the segments of one run: records from several small segments go out in one
 * batch, so a run makes one sync and one index commit per 8 MiB copied rather than per segment
 * (each of those holds the store's serial queue, where uploads wait).
 */
class Mover {
  private batch: MovedRecord[] = [];
  private bytes = 0;
  /** Segments fully read whose last records are in the batch: retired by its commit. */
  private finished: number[] = [];
  moved = 0;
  segments = 0;
  freed = 0;

  constructor(private readonly store: ChunkStore, private readonly rate: RateLimit) {}

  async add(r: MovedRecord): Promise<void> {
    this.batch.push(r);
    this.bytes += RECORD_HEADER_BYTES + r.payload.length;
    if (this.bytes >= BATCH_BYTES) await this.commit();
  }

  /** A segment whose live records are all added (it goes with the next commit). */
  finish(segment: number): void {
    this.finished.push(segment);
  }

  async commit(): Promise<void> {
    if (this.batch.length === 0 && this.finished.length === 0) return;
    const [batch, bytes, retire] = [this.batch, this.bytes, this.finished];
    this.batch = [];
    this.bytes = 0;
    this.finished = [];
    await this.store.moveRecords(batch, retire);
    this.moved += bytes;
    this.segments += retire.length;
    this.freed += await this.store.removeRetired(retire);
    await this.rate.spend(2 * bytes);
  }
}

export async function compact(store: ChunkStore, plan: CompactionPlan, config: Config['gc'], ctx: CompactionContext): Promise<CompactionSummary> {
  const rate = new RateLimit(config.rateBytesPerSecond, ctx.signal);
  const mover = new Mover(store, rate);
  const zstd = new Zstd();
  let left = plan.left;
  for (const [i, s] of plan.chosen.entries()) {
    if (ctx.signal.aborted) {
      left += plan.chosen.length - i;
      break;
    }
    ctx.progress(i, plan.chosen.length);
    if (await copyLive(store, s.id, zstd, mover, ctx)) mover.finish(s.id);
    // reading the dead bytes counts against the rate too
    await rate.spend(Math.max(0, s.size - s.live));
  }
  // Copies already made are committed even when cancelled: the segments they came from stay
  // unless finished, and their records are then duplicates the index no longer points at.
  await mover.commit();
  return { segments: mover.segments, bytesRewritten: mover.moved, bytesFreed: mover.freed, segmentsLeft: left };
}

/** Adds one segment's live records to the mover; false when the segment must stay (damage found, or cancelled). */
async function copyLive(store: ChunkStore, segment: number, zstd: Zstd, mover: Mover, ctx: CompactionContext): Promise<boolean> {
  const indexed = store.index.segments.get(segment)?.indexedLength ?? 0;
  await store.ensureLocal(segment);
  const scan = scanSegment(segmentPath(store.root, segment), 0);
  for (;;) {
    const step = await scan.next();
    if (step.done) {
      if (step.value.validLength < indexed) {
        ctx.log(`segment ${segment}: records end at ${step.value.validLength} of ${indexed} indexed bytes (${step.value.problem ?? 'cut short'}); left for havend store check`, 'warn');
        return false;
      }
      return true;
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
      return false;
    }
    await mover.add({ header: r.header, payloadCrc: r.header.payloadCrc, payload: Buffer.from(r.payload), from: { segment, offset: r.offset } });
    if (ctx.signal.aborted) {
      await scan.return({ validLength: r.offset, fileLength: indexed, problem: null });
      return false;
    }
  }
}

function verifies(zstd: Zstd, codec: Codec, payload: Buffer, rawLength: number, digest: Uint8Array): boolean {
  try {
    const raw = codec === Codec.zstd ? zstd.decompress(payload, rawLength) : payload;
    return sha256(raw).equals(Buffer.from(digest));
  } catch {
    return false;
  }
}
