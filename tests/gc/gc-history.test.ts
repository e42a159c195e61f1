// The history of GC runs and the totals behind the GC counters, on a real LMDB state
// environment: runs newest first and bounded, a run open from its start until closed, each
// run counted once, totals that outlive the bounded history, and the metric families read
// from them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GcRun, GcSummary } from '../../core/src/api/gc.js';
import { GcHistory } from '../../daemon/src/gc/gc-history.js';
import { gcFamilies } from '../../daemon/src/metrics/gc-metrics.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { tempDir } from '../helpers/tmp.js';

function summary(reclaimedObjects: number, reclaimedBytes: number, bytesFreed: number): GcSummary {
  return {
    marked: 10, roots: 2, reclaimedObjects, reclaimedBytes, revived: 0, condemnedObjects: 1, condemnedBytes: 50, deferred: null,
    compaction: { segments: bytesFreed > 0 ? 1 : 0, bytesRewritten: 0, bytesFreed, segmentsLeft: 0 },
    storedBytesBefore: 1000, storedBytesAfter: 1000 - bytesFreed, deadBytes: 0, durationMs: 1500, phases: { markMs: 500, sweepMs: 500, compactMs: 500 },
  };
}

/** Task ids sort by start time, as the task registry makes them. */
function run(n: number, status: GcRun['status'], s: GcSummary | null): GcRun {
  const started = new Date(Date.UTC(2026, 0, 1, n)).toISOString();
  return { task: `t${String(n).padStart(4, '0')}-00000000`, started, ended: new Date(Date.parse(started) + 2500).toISOString(), status, by: 'schedule', summary: s, error: status === 'succeeded' ? null : 'it broke' };
}

test('GC history: open while running, closed once, newest first, bounded; totals outlive the bound', (t) => {
  const state = openStateDb(tempDir(t));
  t.after(() => state.close());
  const history = new GcHistory(state, 3);
  assert.deepEqual(history.list(), []);
  assert.deepEqual(history.totals().runs, { succeeded: 0, failed: 0, cancelled: 0, interrupted: 0 });

  const first = run(1, 'succeeded', summary(4, 400, 1000));
  history.begin(first);
  assert.deepEqual(history.list(), [], 'a run in progress is not in the history');
  assert.deepEqual(history.open().map((r) => [r.task, r.status]), [[first.task, 'interrupted']], 'until closed it reads as interrupted by a stop');
  history.finish(first);
  history.finish(first); // closing twice counts once
  assert.deepEqual(history.open(), []);
  assert.deepEqual(history.list(), [first]);
  assert.equal(history.totals().runs.succeeded, 1);

  const later = [run(2, 'failed', null), run(3, 'succeeded', summary(6, 600, 0)), run(4, 'cancelled', null), run(5, 'succeeded', summary(1, 100, 50))];
  for (const r of later) {
    history.begin(r);
    history.finish(r);
  }
  assert.deepEqual(history.list().map((r) => r.task), [later[3], later[2], later[1]].map((r) => r?.task), 'the newest 3, newest first');
  const totals = history.totals();
  assert.deepEqual(totals.runs, { succeeded: 3, failed: 1, cancelled: 1, interrupted: 0 }, 'runs that left the history still count');
  assert.equal(totals.reclaimedObjects, 11);
  assert.equal(totals.reclaimedBytes, 1100);
  assert.equal(totals.compactionFreedBytes, 1050);

  const families = new Map(gcFamilies({ backlog: { condemnedObjects: 2, condemnedBytes: 300, deadBytes: 700 }, history: history.list(), totals, running: false })
    .map((f) => [f.name, f]));
  const value = (name: string): number | undefined => families.get(name)?.samples[0]?.value;
  assert.equal(value('haven_gc_last_success_timestamp_seconds'), Date.parse(later[3]?.ended as string) / 1000);
  assert.equal(value('haven_gc_last_duration_seconds'), 2.5);
  assert.equal(value('haven_gc_last_reclaimed_bytes'), 100);
  assert.equal(value('haven_gc_condemned_bytes'), 300);
  assert.equal(value('haven_gc_reclaimable_bytes'), 1000);
  assert.equal(value('haven_gc_reclaimed_bytes_total'), 1100);
  assert.equal(families.get('haven_gc_runs_total')?.type, 'counter');
  assert.deepEqual(families.get('haven_gc_runs_total')?.samples.find((s) => s.labels?.status === 'failed')?.value, 1);
});

test('GC metrics before any run: no last-run samples, zero counters', (t) => {
  const state = openStateDb(tempDir(t));
  t.after(() => state.close());
  const history = new GcHistory(state);
  const families = new Map(gcFamilies({ backlog: { condemnedObjects: 0, condemnedBytes: 0, deadBytes: 0 }, history: history.list(), totals: history.totals(), running: true })
    .map((f) => [f.name, f.samples]));
  assert.deepEqual(families.get('haven_gc_last_success_timestamp_seconds'), []);
  assert.deepEqual(families.get('haven_gc_last_duration_seconds'), []);
  assert.deepEqual(families.get('haven_gc_running'), [{ value: 1 }]);
  assert.deepEqual(families.get('haven_gc_reclaimed_bytes_total'), [{ value: 0 }]);
});
