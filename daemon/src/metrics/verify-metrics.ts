// Verification as metrics, read at scrape time from the run history and totals (state db),
// the damaged-snapshot list and the quarantine.

import type { VerifyRun } from '../../../core/src/api/verify.js';
import type { VerifyTotals } from '../verify/verify-records.js';
import { counter, gauge, type MetricFamily, type Sample } from './registry.js';

export interface VerifyMetricsInput {
  /** Finished runs, newest first. */
  history: readonly VerifyRun[];
  totals: VerifyTotals;
  running: boolean;
  damagedSnapshots: number;
  quarantined: number;
  verifiedObjects: number;
}

export function verifyFamilies(m: VerifyMetricsInput): MetricFamily[] {
  const lastSuccess = m.history.find((r) => r.status === 'succeeded');
  const one = (value: number | undefined): Sample[] => (value === undefined ? [] : [{ value }]);
  return [
    gauge('haven_verify_running', 'Whether a verification runs now', m.running ? 1 : 0),
    gauge('haven_verify_last_success_timestamp_seconds', 'When the latest successful verification ended (Unix seconds)', one(lastSuccess && Date.parse(lastSuccess.ended) / 1000)),
    gauge('haven_verify_damaged_snapshots', 'Snapshots that reach a quarantined object (they do not restore bit-exact until healed)', m.damagedSnapshots),
    gauge('haven_verify_quarantined_objects', 'Objects found damaged and not yet uploaded anew', m.quarantined),
    gauge('haven_verify_verified_objects', 'Objects with a verification on record', m.verifiedObjects),
    counter('haven_verify_runs_total', 'Verification runs by final status', (Object.keys(m.totals.runs) as Array<VerifyRun['status']>).map((status) => ({
      labels: { status }, value: m.totals.runs[status],
    }))),
    counter('haven_verify_objects_total', 'Objects read again from the segments and re-hashed', m.totals.objects),
    counter('haven_verify_bytes_total', 'Raw bytes of the objects read again', m.totals.bytes),
    counter('haven_verify_damaged_objects_total', 'Objects verification found damaged', m.totals.damagedObjects),
  ];
}
