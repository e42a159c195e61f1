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
import type { DamagedSnapshot, VerifyRun } from '../../../core/src/api/verify.js';
import type { StateDb } from '../state/state-db.js';

export interface Verification {
  /** Unix milliseconds. */
  at: number;
  /** A tree whose every descendant was verified by the same walk. */
  deep: boolean;
}

export const VERIFY_HISTORY_RUNS = 100;

export interface VerifyTotals {
  runs: Record<VerifyRun['status'], number>;
  objects: number;
  bytes: number;
  damagedObjects: number;
}

const TOTALS_KEY = 'totals';

export class VerifyRecords {
  private readonly objects: Database<Verification, Buffer>;
  private readonly damaged: Database<DamagedSnapshot, string>;
  private readonly runs: Database<{ run: VerifyRun; open: boolean }, string>;
  private readonly totalsDb: Database<VerifyTotals, string>;

  constructor(private readonly state: StateDb, private readonly keep = VERIFY_HISTORY_RUNS) {
    this.objects = state.db<Verification, Buffer>('verify-objects', { keyEncoding: 'binary' });
    this.damaged = state.db<DamagedSnapshot>('verify-damaged');
    this.runs = state.db<{ run: VerifyRun; open: boolean }>('verify-runs');
    this.totalsDb = state.db<VerifyTotals>('verify-totals');
  }

  verification(digest: Uint8Array): Verification | undefined {
    return this.objects.get(Buffer.from(digest));
  }

  /** Records verifications in one transaction (a tree already deep stays deep). */
  record(items: ReadonlyArray<{ digest: Uint8Array; deep: boolean }>, at: number): void {
    if (items.length === 0) return;
    this.state.env.transactionSync(() => {
      for (const { digest, deep } of items) {
        const k = Buffer.from(digest);
        this.objects.putSync(k, { at, deep: deep || (this.objects.get(k)?.deep ?? false) });
      }
    });
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

  /** Closes a run and counts it once; synchronous (it may run from the daemon's stop). */
  finish(run: VerifyRun): void {
    this.runs.transactionSync(() => {
      const before = this.runs.get(run.task);
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
