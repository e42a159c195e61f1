// The history of garbage collection runs (GcRun, newest first), bounded, in the daemon's state
// db (`gc-runs`, keyed by task id: ids sort by start time), and the running totals behind the
// GC counters (`gc-totals`), which outlive the bounded history so the counters never go back.
//
// A run is written when it starts, marked open, and rewritten when its task ends. A daemon
// killed mid-run leaves it open; the next start closes it from the task registry's record
// (interrupted, with the end time the registry gave it), so no run disappears from the history.

import type { Database } from 'lmdb';
import type { GcRun } from '../../../core/src/api/gc.js';
import type { StateDb } from '../state/state-db.js';

/** How many runs the history keeps (every 6 hours by default: about 25 days). */
export const GC_HISTORY_RUNS = 100;

type FinishedStatus = GcRun['status'];

export interface GcTotals {
  runs: Record<FinishedStatus, number>;
  reclaimedObjects: number;
  reclaimedBytes: number;
  /** Bytes of segment files compaction removed. */
  compactionFreedBytes: number;
}

interface StoredRun {
  run: GcRun;
  /** Written at the start and not yet closed by the end of its task. */
  open: boolean;
}

const TOTALS_KEY = 'totals';

function emptyTotals(): GcTotals {
  return { runs: { succeeded: 0, failed: 0, cancelled: 0, interrupted: 0 }, reclaimedObjects: 0, reclaimedBytes: 0, compactionFreedBytes: 0 };
}

export class GcHistory {
  private readonly runs: Database<StoredRun, string>;
  private readonly totalsDb: Database<GcTotals, string>;

  constructor(state: StateDb, private readonly keep = GC_HISTORY_RUNS) {
    this.runs = state.db<StoredRun>('gc-runs');
    this.totalsDb = state.db<GcTotals>('gc-totals');
  }

  /** Closed runs, newest first. */
  list(limit = this.keep): GcRun[] {
    const out: GcRun[] = [];
    for (const { value } of this.runs.getRange({ reverse: true })) {
      if (out.length >= limit) break;
      if (!value.open) out.push(value.run);
    }
    return out;
  }

  /** Runs written at their start and never closed (the daemon stopped before their end was recorded). */
  open(): GcRun[] {
    return [...this.runs.getRange()].filter((e) => e.value.open).map((e) => e.value.run);
  }

  totals(): GcTotals {
    return this.totalsDb.get(TOTALS_KEY) ?? emptyTotals();
  }

  /**
   * Records a run as it starts: until closed it reads as interrupted by a stop. Written
   * synchronously (once per run), so it is on disk before the run does anything.
   */
  begin(run: Pick<GcRun, 'task' | 'started' | 'by'>): void {
    const provisional: GcRun = {
      ...run, ended: run.started, status: 'interrupted', summary: null, error: 'the daemon stopped while it ran',
    };
    this.runs.putSync(run.task, { run: provisional, open: true });
  }

  /**
   * Closes a run with its outcome and adds it to the totals, in one transaction; the oldest
   * runs past the bound are dropped. Synchronous: it runs from the task's end, which may be
   * the daemon's stop, and must be on disk before the state db closes.
   */
  finish(run: GcRun): void {
    this.runs.transactionSync(() => {
      const before = this.runs.get(run.task);
      this.runs.putSync(run.task, { run, open: false });
      // A run is counted once, however often it is closed.
      if (before === undefined || before.open) this.totalsDb.putSync(TOTALS_KEY, added(this.totals(), run));
      const dropped = [...this.runs.getKeys({ reverse: true, offset: this.keep })];
      for (const key of dropped) this.runs.removeSync(key);
    });
  }
}

function added(t: GcTotals, run: GcRun): GcTotals {
  const s = run.summary;
  return {
    runs: { ...t.runs, [run.status]: t.runs[run.status] + 1 },
    reclaimedObjects: t.reclaimedObjects + (s?.reclaimedObjects ?? 0),
    reclaimedBytes: t.reclaimedBytes + (s?.reclaimedBytes ?? 0),
    compactionFreedBytes: t.compactionFreedBytes + (s?.compaction.bytesFreed ?? 0),
  };
}
