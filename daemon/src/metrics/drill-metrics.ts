// Recovery drills and dead-man switches as metrics, read at scrape time: per group the latest
// drill's result, time and RTO estimate; per scheduled job its last success and whether it is
// overdue.

import type { DrillRun } from '../../../core/src/api/drills.js';
import type { JobWatch } from '../jobs/dead-man.js';
import { gauge, type MetricFamily } from './registry.js';

/** `latest`: each group's newest drill. */
export function drillFamilies(latest: readonly DrillRun[], running: boolean): MetricFamily[] {
  return [
    gauge('haven_drill_running', 'Whether a recovery drill runs now', running ? 1 : 0),
    gauge('haven_drill_last_passed', 'Whether the group\'s latest recovery drill passed (1) or failed (0)', latest.map((r) => ({
      labels: { group: r.group }, value: r.result === 'passed' ? 1 : 0,
    }))),
    gauge('haven_drill_last_timestamp_seconds', 'When the group\'s latest recovery drill ended (Unix seconds)', latest.map((r) => ({
      labels: { group: r.group }, value: Date.parse(r.ended) / 1000,
    }))),
    gauge('haven_drill_rto_estimate_seconds', 'The RTO the group\'s latest recovery drill estimated', latest.filter((r) => r.rtoEstimateSeconds !== null).map((r) => ({
      labels: { group: r.group }, value: r.rtoEstimateSeconds as number,
    }))),
  ];
}

export function deadManFamilies(jobs: readonly JobWatch[]): MetricFamily[] {
  return [
    gauge('haven_job_last_success_timestamp_seconds', 'When the scheduled job last succeeded (Unix seconds)', jobs.filter((j) => j.lastSuccess !== null).map((j) => ({
      labels: { job: j.name }, value: (j.lastSuccess as number) / 1000,
    }))),
    gauge('haven_job_overdue', 'Whether the scheduled job has not succeeded within its window (its dead-man switch fired)', jobs.map((j) => ({
      labels: { job: j.name }, value: j.overdue ? 1 : 0,
    }))),
  ];
}
