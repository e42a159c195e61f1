// What verification remembers in the daemon's state db:
//
// - `verify-objects`: per object digest, when its record was last read from the segments and
//   re-hashed, and for trees whether everything below was verified in the same walk (`deep`),
//   so a new snapshot's verification stops at trees an earlier one covered. The datastore's
//   index is the store's alone (ARCHITECTURE.md, "Layers"), and a rebuilt index merely makes
//   these entries stale, never wrong: an entry whose object is gone is swept by the rotation.
// - `verify-damaged`: the snapshots that reach a quarantined object, until a re-upload heals them.
// - `verify-runs`: the history of runs (newest 100), written as a run starts and closed from its
//   task's end, like garbage collection's (gc-history.ts); `verify-totals` for the counters.

import type { Database } from 'lmdb';
import { unpack } from 'msgpackr';
import type { DamagedSnapshot, VerifyRun, VerifySummary } from '../../../core/src/api/verify.js';
import type { StateDb } from '../state/state-db.js';

export interface Verification {
  /** Unix milliseconds. */
  at: number;
  /** A tree whose every descendant was verified by the same walk. */
  deep: boolean;
}

export const VERIFY_HISTORY_RUNS = 100;

/** Verifications written per transaction (see record). */
export const RECORD_BATCH = 256;

/** A run's counts so far, noted on its open record between batches. */
export interface RunProgress {
  task: string;
  summary: VerifySummary;
}

// A verification as stored, 7 bytes: 0xc1, a byte msgpack never uses, which tells these from
// the msgpack maps written before (22 bytes each), then the time in Unix milliseconds as a
// 48-bit big-endian integer whose top bit is `deep` (times stay below 2^47 until the year 6429).
const ENCODED_MARK = 0xc1;
const ENCODED_BYTES = 7;
const DEEP_BIT = 2 ** 47;

export function encodeVerification(v: Verification): Buffer {
  const b = Buffer.allocUnsafe(ENCODED_BYTES);
  b[0] = ENCODED_MARK;
  b.writeUIntBE(v.at + (v.deep ? DEEP_BIT : 0), 1, 6);
  return b;
}

/** The stored bytes read back; a value neither form explains counts as no verification. */
export function decodeVerification(b: Buffer): Verification | undefined {
  if (b.length === ENCODED_BYTES && b[0] === ENCODED_MARK) {
    const n = b.readUIntBE(1, 6);
    return n >= DEEP_BIT ? { at: n - DEEP_BIT, deep: true } : { at: n, deep: false };
  }
  try {
    const v = unpack(b) as Partial<Verification> | null;
    if (typeof v?.at === 'number' && typeof v.deep === 'boolean') return { at: v.at, deep: v.deep };
  } catch {
    // not a msgpack map either
  }
  return undefined;
}

export interface VerifyTotals {
  runs: Record<VerifyRun['status'], number>;
  objects: number;
  bytes: number;
  damagedObjects: number;
}

const TOTALS_KEY = 'totals';

export class VerifyRecords {
  private readonly objects: Database<Buffer, Buffer>;
  private readonly damaged: Database<DamagedSnapshot, string>;
  private readonly runs: Database<{ run: VerifyRun; open: boolean }, string>;
  private readonly totalsDb: Database<VerifyTotals, string>;

  constructor(private readonly state: StateDb, private readonly keep = VERIFY_HISTORY_RUNS) {
    this.objects = state.db<Buffer, Buffer>('verify-objects', { keyEncoding: 'binary', encoding: 'binary' });
    this.damaged = state.db<DamagedSnapshot>('verify-damaged');
    this.runs = state.db<{ run: VerifyRun; open: boolean }>('verify-runs');
    this.totalsDb = state.db<VerifyTotals>('verify-totals');
  }

  verification(digest: Uint8Array): Verification | undefined {
    return this.stored(Buffer.from(digest));
  }

  private stored(key: Buffer): Verification | undefined {
    const b = this.objects.get(key);
    return b === undefined ? undefined : decodeVerification(b);
  }

  /**
   * Records verifications (a tree already deep stays deep), RECORD_BATCH to a transaction,
   * each followed by a small one that notes the run's progress on its open record (what an
   * interrupted run shows it had done). Why the small one: digests are random, so a batch
   * rewrites leaf pages all over the tree, and LMDB gives the pages one commit freed to new
   * writes only from the commit after next. Batches back to back each took fresh pages and
   * the file grew to about three times its live entries (13.7 MiB after the peers
   * benchmark's first backup, 73k verifications; 6.4 MiB now, with 7-byte values).
   * Asynchronous transactions: the writes run on this thread at once, the commits and their
   * syncs on LMDB's thread, so a verification never holds the event loop (and an upload) for
   * a disk sync.
   */
  async record(items: ReadonlyArray<{ digest: Uint8Array; deep: boolean }>, at: number, progress: RunProgress | null): Promise<void> {
    for (let i = 0; i < items.length; i += RECORD_BATCH) {
      const batch = items.slice(i, i + RECORD_BATCH);
      await this.state.env.transaction(() => {
        for (const { digest, deep } of batch) {
          const k = Buffer.from(digest);
          this.objects.putSync(k, encodeVerification({ at, deep: deep || (this.stored(k)?.deep ?? false) }));
        }
      });
      if (progress !== null) await this.noteProgress(progress);
    }
  }

  private async noteProgress({ task, summary }: RunProgress): Promise<void> {
    const entry = this.runs.get(task);
    if (entry !== undefined && entry.open) await this.runs.put(task, { run: { ...entry.run, summary }, open: true });
  }

  /** Drops verifications (objects found damaged, trees above them: their proof is void). */
  forget(digests: Iterable<Uint8Array>): void {
    this.state.env.transactionSync(() => {
      for (const d of digests) this.objects.removeSync(Buffer.from(d));
    });
  }

  verifiedCount(): number {
    return this.objects.getKeysCount();
  }

  /** Digests with a verification on record, in order, a page at a time (the sweep of stale ones). */
  digests(after: Buffer | null, limit: number): Buffer[] {
    const out: Buffer[] = [];
    for (const k of this.objects.getKeys({ start: after ?? undefined, limit: limit + 1 })) {
      if (after !== null && k.equals(after)) continue;
      if (out.length === limit) break;
      out.push(Buffer.from(k));
    }
    return out;
  }

  isDamaged(snapshotId: string): boolean {
    return this.damaged.doesExist(snapshotId);
  }

  damagedSnapshots(): DamagedSnapshot[] {
    return [...this.damaged.getRange()].map((e) => e.value);
  }

  /** Replaces the list of damaged snapshots (the result of one damage scan). */
  setDamaged(list: readonly DamagedSnapshot[]): void {
    this.state.env.transactionSync(() => {
      for (const k of [...this.damaged.getKeys()]) this.damaged.removeSync(k);
      for (const d of list) this.damaged.putSync(d.id, d);
    });
  }

  /** Closed runs, newest first. */
  history(limit = this.keep): VerifyRun[] {
    const out: VerifyRun[] = [];
    for (const { value } of this.runs.getRange({ reverse: true })) {
      if (out.length >= limit) break;
      if (!value.open) out.push(value.run);
    }
    return out;
  }

  /** Runs written at their start and never closed (the daemon stopped during them). */
  openRuns(): VerifyRun[] {
    return [...this.runs.getRange()].filter((e) => e.value.open).map((e) => e.value.run);
  }

  begin(run: Pick<VerifyRun, 'task' | 'kind' | 'group' | 'started' | 'by'>): void {
    const provisional: VerifyRun = { ...run, ended: run.started, status: 'interrupted', summary: null, error: 'the daemon stopped while it ran' };
    this.runs.putSync(run.task, { run: provisional, open: true });
  }

  /**
   * Closes a run and counts it once; synchronous (it may run from the daemon's stop). A run
   * that ended without a summary (cancelled, failed, killed) keeps the progress last noted.
   */
  finish(closing: VerifyRun): void {
    this.runs.transactionSync(() => {
      const before = this.runs.get(closing.task);
      const run = closing.summary === null && before?.open === true ? { ...closing, summary: before.run.summary } : closing;
      this.runs.putSync(run.task, { run, open: false });
      if (before === undefined || before.open) {
        const t = this.totals();
        const s = run.summary;
        this.totalsDb.putSync(TOTALS_KEY, {
          runs: { ...t.runs, [run.status]: t.runs[run.status] + 1 },
          objects: t.objects + (s?.objects ?? 0), bytes: t.bytes + (s?.bytes ?? 0), damagedObjects: t.damagedObjects + (s?.damagedObjects ?? 0),
        });
      }
      for (const key of [...this.runs.getKeys({ reverse: true, offset: this.keep })]) this.runs.removeSync(key);
    });
  }

  totals(): VerifyTotals {
    return this.totalsDb.get(TOTALS_KEY) ?? { runs: { succeeded: 0, failed: 0, cancelled: 0, interrupted: 0 }, objects: 0, bytes: 0, damagedObjects: 0 };
  }
}
