// The protection plan and the notification outbox as metrics, read at scrape time: a
// Prometheus rule can then page on an RPO breach or a growing outbox without the appliance's
// own notifications (which may be what is broken).

import type { OutboxMessage } from '../../../core/src/api/notify.js';
import type { PlanEntryStatus, RpoState } from '../../../core/src/api/plan.js';
import { gauge, type MetricFamily, type Sample } from './registry.js';

const STATES: readonly RpoState[] = ['OK', 'LATE', 'BREACH', 'NEVER', 'PAUSED', 'RETIRED'];
const OUTBOX_STATES: readonly OutboxMessage['state'][] = ['pending', 'delivered', 'failed'];

export function planFamilies(entries: readonly PlanEntryStatus[]): MetricFamily[] {
  const states: Sample[] = [];
  const newest: Sample[] = [];
  for (const e of entries) {
    // A state set: one series per state, 1 for the entry's current one.
    for (const s of STATES) states.push({ labels: { group: e.group, state: s }, value: e.state === s ? 1 : 0 });
    if (e.newestSnapshot !== null) newest.push({ labels: { group: e.group }, value: Date.parse(e.newestSnapshot) / 1000 });
  }
  return [
    gauge('haven_plan_rpo_state', 'RPO state per plan entry (1 for the current state)', states),
    gauge('haven_plan_newest_backup_timestamp_seconds', 'Commit time of the newest snapshot of each planned group', newest),
  ];
}

/** Messages kept in the outbox by target and state. */
export function outboxFamilies(counts: ReadonlyMap<string, Record<OutboxMessage['state'], number>>): MetricFamily[] {
  const samples: Sample[] = [];
  for (const [target, byState] of counts) {
    for (const s of OUTBOX_STATES) samples.push({ labels: { target, state: s }, value: byState[s] });
  }
  return [gauge('haven_notify_outbox_messages', 'Notification messages in the outbox by target and state (delivered and failed ones are kept, bounded)', samples)];
}
