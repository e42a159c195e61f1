// Garbage collection as metrics, read at scrape time from the GC history (state db) and the
// collector's backlog (cheap: read from the index). The counters come from totals persisted
// beside the bounded history, so they never go back when old runs drop out of it.

import type { GcRun } from '../../../core/src/api/gc.js';
import type { GcTotals } from '../gc/gc-history.js';
import type { GcBacklog } from '../gc/gc-service.js';
import { counter, gauge, type MetricFamily, type Sample } from './registry.js';

export interface GcMetricsInput {
  backlog: GcBacklog;
  /** Finished runs, newest first. */
  history: readonly GcRun[];
  totals: GcTotals;
  running: boolean;
}

const seconds = (iso: string): number => Date.parse(iso) / 1000;

export function gcFamilies(m: GcMetricsInput): MetricFamily[] {
  const last = m.history[0];
  const lastSuccess = m.history.find((r) => r.status === 'succeeded');
  const one = (value: number | undefined): Sample[] => (value === undefined ? [] : [{ value }]);
  return [
    gauge('haven_gc_running', 'Whether a garbage collection runs now', m.running ? 1 : 0),
    gauge('haven_gc_last_success_timestamp_seconds', 'When the latest successful garbage collection ended (Unix seconds)', one(lastSuccess && seconds(lastSuccess.ended))),
    gauge('haven_gc_last_duration_seconds', 'How long the latest finished garbage collection ran, whatever its outcome', one(last && seconds(last.ended) - seconds(last.started))),
    gauge('haven_gc_last_reclaimed_bytes', 'Stored bytes the latest successful garbage collection reclaimed', one(lastSuccess?.summary?.reclaimedBytes)),
    gauge('haven_gc_condemned_bytes', 'Bytes the latest run condemned: the next run reclaims them unless they are referenced again', m.backlog.condemnedBytes),
    gauge('haven_gc_reclaimable_bytes', 'Condemned bytes plus dead bytes in segments: what garbage collection and compaction can give back', m.backlog.condemnedBytes + m.backlog.deadBytes),
    counter('haven_gc_runs_total', 'Garbage collection runs by final status', (Object.keys(m.totals.runs) as Array<GcRun['status']>).map((status) => ({
      labels: { status }, value: m.totals.runs[status],
    }))),
    counter('haven_gc_reclaimed_objects_total', 'Objects garbage collection removed from the index', m.totals.reclaimedObjects),
    counter('haven_gc_reclaimed_bytes_total', 'Stored bytes of the objects garbage collection removed from the index', m.totals.reclaimedBytes),
    counter('haven_gc_compaction_freed_bytes_total', 'Bytes of segment files compaction removed (what the file system got back)', m.totals.compactionFreedBytes),
  ];
}
