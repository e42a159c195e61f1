// Alerts (DESIGN section 6): a failing disk, a degraded pool, a failed job, a missed RPO.
// One open alert per condition key. Raising an open alert again updates it quietly unless
// it got worse (higher severity, or a number in its evidence grew): then an acknowledged
// alert loses its acknowledgement and is raised again. Clearing resolves it; cleared alerts
// are kept (bounded) for the record.

import { randomBytes } from 'node:crypto';
import type { Database } from 'lmdb';
import { HavenError } from '../../../core/src/errors.js';
import type { AlertInfo, AlertSeverity } from '../../../core/src/api/jobs.js';
import type { EventBus } from '../events.js';
import type { StateDb } from '../state/state-db.js';

export interface AlertInput {
  severity: AlertSeverity;
  subject: string;
  message: string;
  evidence?: Record<string, number>;
  /** The backup group it concerns, if any (notifications route by it). */
  group?: string;
}

export const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

/** True when `now` is worse than what was acknowledged. */
export function isWorse(before: { severity: AlertSeverity; evidence: Record<string, number> }, now: { severity: AlertSeverity; evidence: Record<string, number> }): boolean {
  if (SEVERITY_RANK[now.severity] > SEVERITY_RANK[before.severity]) return true;
  return Object.entries(now.evidence).some(([k, v]) => v > (before.evidence[k] ?? Number.NEGATIVE_INFINITY));
}

export class AlertCenter {
  private readonly db: Database<AlertInfo, string>;
  /** Open alerts by key (cleared ones stay only in the db). */
  private readonly open = new Map<string, AlertInfo>();
  /** The severity and evidence an admin acknowledged, by key. */
  private readonly ackBaseline = new Map<string, { severity: AlertSeverity; evidence: Record<string, number> }>();

  constructor(state: StateDb, private readonly bus: EventBus, private readonly keepCleared = 1000, private readonly now: () => number = Date.now) {
    this.db = state.db<AlertInfo>('alerts');
    for (const { value } of this.db.getRange()) {
      if (value.cleared === null) {
        this.open.set(value.key, value);
        if (value.acknowledged) this.ackBaseline.set(value.key, { severity: value.severity, evidence: value.evidence });
      }
    }
  }

  /** Raises or updates the alert for `key`; returns it. */
  raise(key: string, input: AlertInput): AlertInfo {
    const at = new Date(this.now()).toISOString();
    const evidence = input.evidence ?? {};
    const existing = this.open.get(key);
    if (!existing) {
      const alert: AlertInfo = {
        id: `${this.now().toString(36)}-${randomBytes(4).toString('hex')}`, key, severity: input.severity, subject: input.subject,
        message: input.message, evidence, raised: at, updated: at, reraised: 0, acknowledged: null, cleared: null,
        ...(input.group !== undefined ? { group: input.group } : {}),
      };
      this.save(alert);
      this.bus.emit('alert.raised', structuredClone(alert));
      return alert;
    }
    const baseline = this.ackBaseline.get(key);
    const worse = baseline ? isWorse(baseline, { severity: input.severity, evidence }) : false;
    const changed = existing.severity !== input.severity || existing.message !== input.message || existing.subject !== input.subject
      || JSON.stringify(existing.evidence) !== JSON.stringify(evidence);
    if (!worse && !changed) return existing;
    const alert: AlertInfo = { ...existing, severity: input.severity, subject: input.subject, message: input.message, evidence, updated: at };
    if (worse) {
      alert.acknowledged = null;
      alert.reraised += 1;
      this.ackBaseline.delete(key);
    }
    this.save(alert);
    this.bus.emit(worse ? 'alert.raised' : 'alert.changed', structuredClone(alert));
    return alert;
  }

  /** Resolves the alert for `key`, if one is open. */
  clear(key: string): void {
    const existing = this.open.get(key);
    if (!existing) return;
    const alert: AlertInfo = { ...existing, cleared: new Date(this.now()).toISOString(), updated: new Date(this.now()).toISOString() };
    this.open.delete(key);
    this.ackBaseline.delete(key);
    void this.db.put(alert.id, alert);
    this.bus.emit('alert.cleared', structuredClone(alert));
    this.pruneCleared();
  }

  acknowledge(id: string, by: string, note: string): AlertInfo {
    const existing = [...this.open.values()].find((a) => a.id === id);
    if (!existing) throw new HavenError('ALERT_NOT_FOUND', { id });
    return this.acknowledgeKey(existing.key, by, note) as AlertInfo;
  }

  /** Acknowledges the open alert for `key`; null when none is open. */
  acknowledgeKey(key: string, by: string, note: string): AlertInfo | null {
    const existing = this.open.get(key);
    if (!existing) return null;
    const at = new Date(this.now()).toISOString();
    const alert: AlertInfo = { ...existing, acknowledged: { at, by, note }, updated: at };
    this.ackBaseline.set(key, { severity: alert.severity, evidence: alert.evidence });
    this.save(alert);
    this.bus.emit('alert.changed', structuredClone(alert));
    return alert;
  }

  byKey(key: string): AlertInfo | null {
    const a = this.open.get(key);
    return a ? structuredClone(a) : null;
  }

  /** Open alerts, most severe then newest first; with `cleared`, cleared ones follow. */
  list(options: { cleared?: boolean } = {}): AlertInfo[] {
    const open = [...this.open.values()].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.updated.localeCompare(a.updated));
    if (!options.cleared) return structuredClone(open);
    const cleared = [...this.db.getRange({ reverse: true })].map((e) => e.value).filter((a) => a.cleared !== null);
    return structuredClone([...open, ...cleared]);
  }

  private save(alert: AlertInfo): void {
    this.open.set(alert.key, alert);
    void this.db.put(alert.id, alert);
  }

  private pruneCleared(): void {
    let seen = 0;
    for (const { key, value } of this.db.getRange({ reverse: true })) {
      if (value.cleared !== null && ++seen > this.keepCleared) void this.db.remove(key);
    }
  }
}
