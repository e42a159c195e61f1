// Garbage collection that never stops a backup (issue 13; DESIGN section 6). One run:
//
// 1. Horizon. Everything appended after the oldest open session began (or after the run
//    began) is no candidate: an open session's uploads are not referenced by any snapshot
//    yet and must stay. Candidates are the objects indexed before the horizon, plus those the
//    last run condemned (compaction may have moved them past it).
// 2. Mark from every root (roots.ts) into a bitset over the candidates (candidate-set.ts),
//    each shared tree read once.
// 3. Second scan: unreached candidates are this run's condemned, or, when the last run
//    condemned them too, reclaimed now. Every unreached tree loses its "complete" flag
//    before anything is removed, so no commit skips a tree whose objects are going.
// 4. Reclaim: only once every session open during the last run has ended (its client may
//    hold references the last run could not see). Removals run in small batches on the
//    store's serial queue, each checked in the same synchronous step against what changed
//    since the marking: snapshots committed since (the change feed), new holds and sessions
//    (walked first, then the batch is retried), and pins (a pinned object is kept). A commit
//    whose walk spans a removal walks again (ChunkStore.removalGeneration).
// 5. Condemn: what is unreached now is recorded; the next run reclaims it unless revived.
// 6. Compaction (compaction.ts).
//
// No wall-clock delay and no lock: backups, restores and commits run throughout.

import { grown } from '../../../core/src/bytes/grown.js';
import type { GcSummary } from '../../../core/src/api/gc.js';
import type { Sessions } from '../backup/sessions.js';
import type { Config } from '../config/schema.js';
import type { TaskContext } from '../jobs/tasks.js';
import { IndexChangeFeed } from '../store/change-feed.js';
import { positionBefore, type ChunkStore, type StorePosition } from '../store/chunk-store.js';
import {
  addCondemned, clearComplete, clearCondemned, condemnedDigests, readGcMeta, recordBytes, removeObjects, scanObjects, segmentLengths, writeGcMeta, type GcMeta,
} from '../store/gc-index.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { writeIndexAsync } from '../store/index-write.js';
import { fromHex } from '../../../core/src/objects/digest.js';
import type { Holds } from '../store/store-api.js';
import { CandidateSet } from './candidate-set.js';
import { DigestList } from './digest-list.js';
import { compact, planCompaction, type SegmentLiveness } from './compaction.js';
import { Marker } from './marker.js';
import { holdKey, markHold, markIndexRoots, markSession, markSnapshot } from './roots.js';

export interface CollectorDeps {
  store: ChunkStore;
  sessions: Sessions;
  holds: Holds;
  config: Config['gc'];
}

/**
 * Removals per step of the serial queue (a step blocks appends for its duration), and
 * condemned digests or dropped flags per asynchronous transaction. Not more: at 16,384 an
 * asynchronous transaction of the sweep failed on a 10-million-object index (LMDB's
 * MDB_BAD_TXN, -30782), where 2,000 never has.
 */
const REMOVE_BATCH = 2000;
/** Catch-up walks allowed while reclaiming before the rest waits for the next run. */
const MAX_CATCH_UPS = 200;

const running = new WeakSet<ChunkStore>();

/** One run: mark, reclaim what the previous run condemned, condemn, compact. */
export async function collectGarbage(deps: CollectorDeps, ctx: TaskContext): Promise<GcSummary> {
  if (running.has(deps.store)) throw new Error('a garbage collection is already running on this datastore');
  running.add(deps.store);
  try {
    return await new Collection(deps, ctx).run();
  } finally {
    running.delete(deps.store);
  }
}

/** What the last run left condemned, and dead bytes in segments as of the last run. */
export function gcBacklog(store: ChunkStore): { condemnedObjects: number; condemnedBytes: number; deadBytes: number } {
  const meta = readGcMeta(store.index);
  return { condemnedObjects: meta?.condemnedObjects ?? 0, condemnedBytes: meta?.condemnedBytes ?? 0, deadBytes: meta?.deadBytes ?? 0 };
}

function storedBytes(store: ChunkStore): number {
  let n = 0;
  for (const { value } of store.index.segments.getRange()) n += value.indexedLength;
  return n;
}

/** Ascending packed digests and a cursor that advances with an ascending scan. */
class SortedDigests {
  private cursor = 0;
  readonly count: number;

  constructor(private readonly packed: Buffer) {
    this.count = packed.length / 32;
  }

  /** Whether `d` is in the list; calls must come in ascending order of `d`. */
  has(d: Buffer): boolean {
    return this.indexOf(d) >= 0;
  }

  /** Where `d` is in the list, or -1; calls must come in ascending order of `d`. */
  indexOf(d: Buffer): number {
    // packed.compare(d, ...) < 0: the entry at the cursor sorts before d
    while (this.cursor < this.count && this.packed.compare(d, 0, 32, this.cursor * 32, this.cursor * 32 + 32) < 0) this.cursor++;
    return this.cursor < this.count && this.packed.compare(d, 0, 32, this.cursor * 32, this.cursor * 32 + 32) === 0 ? this.cursor : -1;
  }

  /** The i-th digest, a view. */
  at(i: number): Buffer {
    return this.packed.subarray(i * 32, i * 32 + 32);
  }
}

/** Segment ids counted in the array (ids are sequential from 1; past this, a Map). */
const DENSE_SEGMENTS = 1 << 20;

/** Bytes per segment id, in a growable typed array (a Map update per index entry cost more). */
class SegmentBytes {
  private bytes = new Float64Array(1024);
  private readonly sparse = new Map<number, number>();

  add(segment: number, n: number): void {
    if (segment >= DENSE_SEGMENTS) {
      this.sparse.set(segment, (this.sparse.get(segment) ?? 0) + n);
      return;
    }
    if (segment >= this.bytes.length) this.bytes = grown(this.bytes, segment + 1);
    this.bytes[segment] = (this.bytes[segment] as number) + n;
  }

  get(segment: number): number {
    return segment < this.bytes.length ? (this.bytes[segment] as number) : (this.sparse.get(segment) ?? 0);
  }
}

/** What steps 1-5 leave for compaction and the summary. */
interface Swept {
  marked: number;
  reclaimedObjects: number;
  reclaimedBytes: number;
  revived: number;
  condemnedObjects: number;
  condemnedBytes: number;
  deferred: string | null;
  stopReason: string | null;
  /** Segments below this were sealed at the second scan. */
  sealedBelow: number;
  /** Bytes of indexed records per segment at the second scan. */
  live: SegmentBytes;
  reclaimedBySegment: Map<number, number>;
  markMs: number;
  sweepMs: number;
}

class Collection {
  private readonly store: ChunkStore;
  private readonly feed: IndexChangeFeed;
  /** The marking's state, from step 2 to the end of step 5. */
  private marking: Marker | null = null;
  /** What the marking has covered: feed position, holds, sessions. */
  private walkedFeed = 0;
  private readonly walkedHolds = new Set<string>();
  /** Open sessions walked, with how many of their pins (a Set keeps insertion order). */
  private readonly walkedSessions = new Map<string, number>();
  private roots = 0;

  constructor(private readonly deps: CollectorDeps, private readonly ctx: TaskContext) {
    this.store = deps.store;
    this.feed = new IndexChangeFeed(deps.store);
  }

  private checkCancelled(): void {
    if (this.ctx.signal.aborted) throw this.ctx.signal.reason;
  }

  async run(): Promise<GcSummary> {
    const t0 = performance.now();
    const { store, ctx } = this;
    const before = storedBytes(store);
    const meta = readGcMeta(store.index);
    const openAtStart = this.deps.sessions.roots();
    let horizon = store.position();
    for (const s of openAtStart) if (positionBefore(s.startedAt, horizon)) horizon = s.startedAt;
    ctx.log(`horizon: segment ${horizon.segment} offset ${horizon.offset} (${openAtStart.length} open session(s))`);
    // Its mark set and digest lists are released before compaction, which runs long enough for
    // them to be the run's peak of memory otherwise.
    const swept = await this.markAndSweep(meta, horizon, t0);
    this.marking = null;
    const { marked, reclaimedObjects, reclaimedBytes, revived, condemnedObjects, condemnedBytes, deferred, stopReason, sealedBelow, live, reclaimedBySegment, markMs, sweepMs } = swept;

    // 6. compaction
    const tCompact = performance.now();
    ctx.progress(0.75, 'compacting');
    const segments: SegmentLiveness[] = [...segmentLengths(store.index, sealedBelow)].map(([id, size]) => ({
      id, size, live: Math.max(0, live.get(id) - (reclaimedBySegment.get(id) ?? 0)),
    }));
    const plan = planCompaction(segments, this.deps.config);
    const compaction = await compact(store, plan, this.deps.config, {
      signal: ctx.signal,
      log: (m, level) => ctx.log(m, level),
      progress: (done, of) => ctx.progress(0.75 + 0.25 * (done / Math.max(1, of)), `compacting ${done}/${of}`),
    });
    const compactMs = performance.now() - tCompact;
    const compacted = new Set(plan.chosen.map((s) => s.id));
    const deadBytes = segments.filter((s) => !compacted.has(s.id)).reduce((n, s) => n + Math.max(0, s.size - s.live), 0);
    ctx.log(`compaction: ${compaction.segments} segment(s) rewritten, ${compaction.bytesRewritten} bytes copied, ${compaction.bytesFreed} bytes freed, ${compaction.segmentsLeft} left`);
    // Objects a crash or a failed delete left in the bucket (S3 datastore): counted as freed by compaction.
    const orphans = await store.sweepBackendOrphans().catch((err: unknown) => {
      ctx.log(`orphan objects not swept: ${(err as Error).message}`, 'warn');
      return { objects: 0, bytes: 0 };
    });
    if (orphans.objects > 0) {
      ctx.log(`deleted ${orphans.objects} orphan object(s) from the bucket (${orphans.bytes} bytes)`);
      compaction.bytesFreed += orphans.bytes;
    }

    const openSessions = deferred === null
      ? [...new Set([...openAtStart.map((s) => s.id), ...this.deps.sessions.roots().map((s) => s.id)])]
      : (meta?.openSessions ?? []);
    await writeIndexAsync(store.index, () => writeGcMeta(store.index, { openSessions, condemnedObjects, condemnedBytes, deadBytes, lastRun: new Date().toISOString() }));
    return {
      marked, roots: this.roots,
      reclaimedObjects, reclaimedBytes, revived, condemnedObjects, condemnedBytes,
      deferred: deferred ?? stopReason,
      compaction,
      storedBytesBefore: before, storedBytesAfter: storedBytes(store), deadBytes,
      durationMs: Math.round(performance.now() - t0),
      phases: { markMs: Math.round(markMs), sweepMs: Math.round(sweepMs), compactMs: Math.round(compactMs) },
    };
  }

  /** Steps 1-5: candidates, mark, second scan, reclaim, condemn. */
  private async markAndSweep(meta: GcMeta | null, horizon: StorePosition, t0: number): Promise<Swept> {
    const { store, ctx } = this;
    // 1. candidates
    const oldCondemned = await condemnedDigests(store.index);
    const candidates = new CandidateSet();
    const inOld = new SortedDigests(oldCondemned);
    const indexed = await scanObjects(store.index, (d, loc) => {
      if (inOld.has(d) || positionBefore(loc, horizon)) candidates.add(d);
    });
    candidates.seal();
    ctx.log(`${indexed} object(s) indexed, ${candidates.size} candidate(s), ${inOld.count} condemned by the last run`);
    this.checkCancelled();

    // 2. mark
    ctx.progress(0.05, 'marking');
    this.marking = new Marker(store, candidates);
    await this.markEverything();
    const markMs = performance.now() - t0;
    ctx.log(`marked ${candidates.markedCount} candidate(s) from ${this.roots} snapshot root(s); ${this.marker.read} tree(s)/list(s) read in ${Math.round(markMs)} ms`);
    if (this.marker.missing > 0) ctx.log(`${this.marker.missing} reference(s) to objects not in the index (run havend store check)`, 'warn');
    this.checkCancelled();

    // 3. second scan: condemned, to reclaim, flags to drop, liveness per segment
    const tSweep = performance.now();
    ctx.progress(0.5, 'sweeping');
    const waitingFor = (meta?.openSessions ?? []).filter((id) => this.deps.sessions.isOpen(id));
    const deferred = inOld.count > 0 && waitingFor.length > 0
      ? `${waitingFor.length} session(s) open during the last run are still open (${waitingFor.slice(0, 3).join(', ')}): reclaiming waits for them`
      : null;
    const sealedBelow = store.position().segment;
    const oldAgain = new SortedDigests(oldCondemned);
    // What the last run condemned and is reclaimed now, as places in that list (4 bytes each, not 32).
    const toReclaim = new Uint32Array(oldAgain.count);
    let toReclaimCount = 0;
    const condemned = new DigestList(candidates.size - candidates.markedCount);
    const unflag = new DigestList();
    const live = new SegmentBytes();
    await scanObjects(store.index, (d, loc) => {
      const inOldList = oldAgain.indexOf(d);
      const wasCondemned = inOldList >= 0;
      const id = candidates.indexOf(d);
      const reached = id >= 0 ? candidates.isMarked(id) : this.marker.reached(d);
      if (!reached && loc.kind === ObjectKind.tree && loc.complete) unflag.push(d);
      if (!reached && id >= 0) {
        if (wasCondemned && deferred === null) {
          toReclaim[toReclaimCount++] = inOldList;
          return;
        }
        if (!wasCondemned) condemned.push(d, recordBytes(loc));
      }
      live.add(loc.segment, recordBytes(loc));
    });
    for (let i = 0; i < unflag.length; i += REMOVE_BATCH) {
      const batch = unflag.slice(i, i + REMOVE_BATCH);
      // views into the list: the transaction runs before the list changes
      await writeIndexAsync(store.index, () => clearComplete(store.index, batch));
    }
    if (deferred) ctx.log(deferred, 'warn');

    // 4. reclaim
    let reclaimedObjects = 0;
    let reclaimedBytes = 0;
    let stopReason: string | null = null;
    const reclaimedBySegment = new Map<number, number>();
    for (let i = 0; i < toReclaimCount && stopReason === null; i += REMOVE_BATCH) {
      this.checkCancelled();
      ctx.progress(0.5 + 0.2 * (i / toReclaimCount), 'reclaiming');
      const batch = [...toReclaim.subarray(i, Math.min(i + REMOVE_BATCH, toReclaimCount))].map((k) => oldAgain.at(k));
      for (let catchUps = 0; ; catchUps++) {
        const removed = await store.exclusive((index) => {
          if (this.needsCatchUp()) return { result: null, removed: false };
          const referenced = this.referencedNow();
          const r = removeObjects(index, batch.filter((d) => !referenced(d)));
          return { result: r, removed: r.objects > 0 };
        });
        if (removed) {
          reclaimedObjects += removed.objects;
          reclaimedBytes += removed.bytes;
          for (const [seg, b] of removed.bySegment) reclaimedBySegment.set(seg, (reclaimedBySegment.get(seg) ?? 0) + b);
          break;
        }
        if (catchUps >= MAX_CATCH_UPS) {
          stopReason = 'backups committed faster than reclaiming could catch up; the rest waits for the next run';
          ctx.log(stopReason, 'warn');
          break;
        }
        await this.catchUp();
      }
    }
    const revived = deferred === null ? inOld.count - reclaimedObjects : 0;

    // 5. condemn
    let condemnedObjects = meta?.condemnedObjects ?? 0;
    let condemnedBytes = meta?.condemnedBytes ?? 0;
    if (deferred === null) {
      condemnedObjects = 0;
      condemnedBytes = 0;
      await writeIndexAsync(store.index, () => clearCondemned(store.index));
      for (let i = 0; i < condemned.length; i += REMOVE_BATCH) {
        const referenced = this.referencedNow();
        const batch: Buffer[] = [];
        for (let j = i; j < Math.min(i + REMOVE_BATCH, condemned.length); j++) {
          if (referenced(condemned.at(j))) continue;
          batch.push(condemned.at(j));
          condemnedObjects++;
          condemnedBytes += condemned.sizeAt(j);
        }
        await writeIndexAsync(store.index, () => addCondemned(store.index, batch));
      }
    }
    const sweepMs = performance.now() - tSweep;
    ctx.log(`reclaimed ${reclaimedObjects} object(s) (${reclaimedBytes} bytes), ${revived} revived, ${condemnedObjects} condemned (${condemnedBytes} bytes)`);

    return {
      marked: candidates.markedCount, reclaimedObjects, reclaimedBytes, revived, condemnedObjects, condemnedBytes,
      deferred, stopReason, sealedBelow, live, reclaimedBySegment, markMs, sweepMs,
    };
  }

  private get marker(): Marker {
    if (!this.marking) throw new Error('the marking is over');
    return this.marking;
  }

  /** Marks from every root: the index's, open sessions', holds'. */
  private async markEverything(): Promise<void> {
    this.walkedFeed = this.feed.head().seq;
    this.roots += await markIndexRoots(this.store, this.marker, (done, of) => {
      this.ctx.progress(0.05 + 0.4 * (done / Math.max(1, of)), `marking ${done}/${of} snapshot(s)`);
    });
    await this.markSessionsAndHolds();
  }

  private async markSessionsAndHolds(): Promise<void> {
    for (const s of this.deps.sessions.roots()) {
      const done = this.walkedSessions.get(s.id);
      this.walkedSessions.set(s.id, s.pins.size);
      await markSession(this.store, this.marker, s, done ?? 0, done === undefined);
    }
    for (const h of this.deps.holds.list()) {
      this.walkedHolds.add(holdKey(h));
      await markHold(this.store, this.marker, h);
    }
  }

  /** Whether something may reference objects the marking has not seen (checked inside a removal step). */
  private needsCatchUp(): boolean {
    if (this.feed.head().seq !== this.walkedFeed) return true;
    if (this.deps.sessions.roots().some((s) => !this.walkedSessions.has(s.id))) return true;
    return this.deps.holds.list().some((h) => !this.walkedHolds.has(holdKey(h)));
  }

  /** Walks what appeared since the marking: committed snapshots, new sessions (and all pins), new holds. */
  private async catchUp(): Promise<void> {
    const head = this.feed.head();
    let cursor = { epoch: head.epoch, seq: this.walkedFeed };
    while (cursor.seq < head.seq) {
      const page = this.feed.after(cursor);
      for (const c of page.changes) {
        if (c.type !== 'committed') continue;
        if (await markSnapshot(this.store, this.marker, fromHex(c.snapshot))) this.roots++;
      }
      if (page.changes.length === 0) break;
      cursor = page.cursor;
    }
    this.walkedFeed = head.seq;
    await this.markSessionsAndHolds();
  }

  /**
   * As of now (call inside a step of the serial queue): reached by a walk, pinned by an open
   * session, or held. Such an object is not removed or condemned.
   */
  private referencedNow(): (d: Buffer) => boolean {
    const pins = this.deps.sessions.roots().map((s) => s.pins);
    const held = new Set(this.deps.holds.list().filter((h) => h.kind === 'object').map((h) => h.target));
    return (d) => {
      if (this.marker.reached(d)) return true;
      if (pins.length > 0) {
        const k = d.toString('latin1');
        if (pins.some((p) => p.has(k))) return true;
      }
      return held.size > 0 && held.has(d.toString('hex'));
    };
  }
}
