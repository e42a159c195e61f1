// Compaction: sealed segments that are mostly dead are rewritten. Their live records (those
// the index points at: live-offsets.ts) are read at their offsets (records-at.ts), copied
// into the segment being appended to, re-verified on the way (CRC, decompression, SHA-256),
// synced, and only then is the index switched to the copies (ChunkStore.appendCopies, then
// switchCopies). The old file is removed only after the
// switch of its last record has committed and after reads of it finish; a crash before leaves
// the old file authoritative for every entry not yet switched (the copies are unindexed
// duplicates), a crash after leaves a retired entry that the next start completes. Bounded
// bytes per run and a rate limit keep the disk for backups.

import { setTimeout as sleep } from 'node:timers/promises';
import type { CompactionSummary } from '../../../core/src/api/gc.js';
import { Zstd } from '../../../core/src/compress/zstd.js';
import { sha256, toHex } from '../../../core/src/objects/digest.js';
import { Codec } from '../../../core/src/objects/kinds.js';
import type { Config } from '../config/schema.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { RECORD_HEADER_BYTES } from '../store/record-format.js';
import { segmentPath } from '../store/segment-files.js';
import { RecordsAt } from '../store/records-at.js';
import { LiveOffsets } from './live-offsets.js';
import { MoveList } from './move-list.js';

/** Copies are appended (and synced) in blocks of about this many bytes. */
const APPEND_BYTES = 8 << 20;
/** Copies made before the index is switched to them (48 bytes each while they wait: move-list.ts). */
const SWITCH_EVERY = 1 << 20;
/** Index entries switched per transaction (each holds the event loop for its commit). */
const SWITCH_TXN = 8192;

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
 * Copies shared by the segments of one run. Records go out verbatim (a record holds no
 * position) in appends of about 8 MiB, each synced; the index is switched to the copies once
 * a million have accumulated (and at the end), in digest order (move-list.ts), a transaction
 * per 8,192 entries, the last one retiring the segments whose every live record is switched.
 * Memory stays bounded by those two amounts, not by a segment's record count.
 */
class Mover {
  private readonly moves = new MoveList();
  private block = Buffer.allocUnsafe(APPEND_BYTES);
  private blockBytes = 0;
  private lengths = new Uint32Array(APPEND_BYTES / RECORD_HEADER_BYTES);
  private blockCount = 0;
  /** Segments fully read whose last records are among the moves: retired by the next switch. */
  private finished: number[] = [];
  moved = 0;
  segments = 0;
  freed = 0;

  constructor(private readonly store: ChunkStore, private readonly rate: RateLimit) {}

  /** Adds a whole record (header and payload) found at `segment`, `offset`. */
  async add(digest: Buffer, record: Buffer, segment: number, offset: number): Promise<void> {
    if (this.blockBytes + record.length > this.block.length) {
      await this.appendBlock();
      if (record.length > this.block.length) {
        this.block = Buffer.allocUnsafe(record.length);
        this.lengths = new Uint32Array(Math.ceil(record.length / RECORD_HEADER_BYTES));
      }
    }
    this.moves.push(digest, segment, offset);
    record.copy(this.block, this.blockBytes);
    this.blockBytes += record.length;
    this.lengths[this.blockCount++] = record.length;
    if (this.moves.length >= SWITCH_EVERY) await this.commit();
  }

  /** A segment whose live records are all added (it is retired by the next switch). */
  finish(segment: number): void {
    this.finished.push(segment);
  }

  private async appendBlock(): Promise<void> {
    if (this.blockCount === 0) return;
    const [bytes, first] = [this.blockBytes, this.moves.length - this.blockCount];
    await this.store.appendCopies(this.block, this.lengths, this.blockCount, (i, segment, offset) => this.moves.placed(first + i, segment, offset));
    this.blockBytes = 0;
    this.blockCount = 0;
    this.moved += bytes;
    await this.rate.spend(2 * bytes);
  }

  /** Appends what is pending, switches the index to every copy, retires the finished segments. */
  async commit(): Promise<void> {
    await this.appendBlock();
    const retire = this.finished;
    this.finished = [];
    const order = this.moves.byDigest();
    for (let from = 0; from < order.length || (from === 0 && retire.length > 0); from += SWITCH_TXN) {
      const to = Math.min(order.length, from + SWITCH_TXN);
      await this.store.switchCopies(this.moves, order, from, to, to === order.length ? retire : []);
      // Each transaction commits on this thread; back to back (their promises settle at once)
      // they held the event loop for 11 s on the 10 M datastore: requests are answered between.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.moves.clear();
    this.segments += retire.length;
    this.freed += await this.store.removeRetired(retire);
  }
}

export async function compact(store: ChunkStore, plan: CompactionPlan, config: Config['gc'], ctx: CompactionContext): Promise<CompactionSummary> {
  const rate = new RateLimit(config.rateBytesPerSecond, ctx.signal);
  const mover = new Mover(store, rate);
  const zstd = new Zstd();
  const live = await LiveOffsets.of(store.index, plan.chosen.map((s) => s.id));
  let left = plan.left;
  for (const [i, s] of plan.chosen.entries()) {
    if (ctx.signal.aborted) {
      left += plan.chosen.length - i;
      break;
    }
    ctx.progress(i, plan.chosen.length);
    if (await copyLive(store, s.id, live.take(s.id), zstd, mover, ctx)) mover.finish(s.id);
    // reading the dead bytes counts against the rate too
    await rate.spend(Math.max(0, s.size - s.live));
  }
  // Copies already made are committed even when cancelled: the segments they came from stay
  // unless finished, and their records are then duplicates the index no longer points at.
  await mover.commit();
  return { segments: mover.segments, bytesRewritten: mover.moved, bytesFreed: mover.freed, segmentsLeft: left };
}

/**
 * Adds one segment's live records (those at `live`, ascending offsets) to the mover; false
 * when the segment must stay (damage found, or cancelled).
 */
async function copyLive(store: ChunkStore, segment: number, live: Uint32Array, zstd: Zstd, mover: Mover, ctx: CompactionContext): Promise<boolean> {
  const indexed = store.index.segments.get(segment)?.indexedLength ?? 0;
  await store.ensureLocal(segment);
  const records = await RecordsAt.open(segmentPath(store.root, segment));
  try {
    for (const offset of live) {
      if (offset >= indexed) continue; // the index never points there: not this segment's to judge
      const r = await records.read(offset);
      const problem = typeof r === 'string' ? r
        : offset + r.record.length > indexed ? 'record runs past the indexed length'
        : verifies(zstd, r.header.codec, r.payload, r.header.rawLength, r.header.digest) ? null
        : `${toHex(r.header.digest)} fails verification`;
      if (problem !== null || typeof r === 'string') {
        ctx.log(`segment ${segment} offset ${offset}: ${problem ?? ''}; segment left for havend store check`, 'warn');
        return false;
      }
      await mover.add(r.header.digest as Buffer, r.record, segment, offset);
      if (ctx.signal.aborted) return false;
    }
    return true;
  } finally {
    await records.close();
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
