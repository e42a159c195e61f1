// Disk health, job results and open alerts as metrics, read from the areas' own state at
// scrape time (the disk inventory, the task registry, the alert center). The pool's are in
// pool/pool-metrics.ts.

import type { DiskRecord, Verdict } from '../../../core/src/api/disks.js';
import type { AlertInfo, TaskInfo } from '../../../core/src/api/jobs.js';
import { gauge, type MetricFamily, type Sample } from './registry.js';

const VERDICTS: readonly Verdict[] = ['passed', 'warning', 'failing', 'unknown'];
const SEVERITIES: readonly AlertInfo['severity'][] = ['info', 'warning', 'critical'];
/** Tasks scanned per scrape (newest first): enough history to find each kind's latest finished one. */
export const TASK_SCAN_LIMIT = 1000;

export function diskFamilies(disks: readonly DiskRecord[]): MetricFamily[] {
  const verdicts: Sample[] = [];
  const temps: Sample[] = [];
  const present: Sample[] = [];
  for (const d of disks) {
    const who = { disk: d.id, serial: d.serial ?? '', model: d.model ?? '' };
    // A state set: one series per verdict, 1 for the disk's current one.
    for (const v of VERDICTS) verdicts.push({ labels: { ...who, verdict: v }, value: d.health.verdict === v ? 1 : 0 });
    if (d.health.temperatureC !== null) temps.push({ labels: { disk: d.id }, value: d.health.temperatureC });
    present.push({ labels: { disk: d.id, role: d.role }, value: d.present ? 1 : 0 });
  }
  return [
    gauge('haven_disk_verdict', 'SMART health verdict per disk (1 for the current verdict)', verdicts),
    gauge('haven_disk_temperature_celsius', 'Disk temperature at the last SMART reading', temps),
    gauge('haven_disk_present', 'Whether a known disk is attached now, with its role', present),
  ];
}

export function taskFamilies(tasks: readonly TaskInfo[]): MetricFamily[] {
  const latest = new Map<string, TaskInfo>();
  let running = 0;
  for (const t of tasks) {
    if (t.status === 'running') running++;
    else if (t.ended !== null && !latest.has(t.kind)) latest.set(t.kind, t); // newest first
  }
  const ok: Sample[] = [];
  const ended: Sample[] = [];
  for (const [kind, t] of latest) {
    ok.push({ labels: { kind, status: t.status }, value: t.status === 'succeeded' ? 1 : 0 });
    ended.push({ labels: { kind }, value: Date.parse(t.ended as string) / 1000 });
  }
  return [
    gauge('haven_tasks_running', 'Jobs running now', running),
    gauge('haven_task_last_success', 'Whether the latest finished job of each kind succeeded (its status as a label)', ok),
    gauge('haven_task_last_end_timestamp_seconds', 'When the latest finished job of each kind ended (Unix seconds)', ended),
  ];
}

export function alertFamilies(open: readonly AlertInfo[]): MetricFamily[] {
  return [
    gauge('haven_alerts_open', 'Alerts not cleared, by severity', SEVERITIES.map((severity) => ({
      labels: { severity }, value: open.filter((a) => a.severity === severity).length,
    }))),
  ];
}
