// Reads SMART for every present disk on the scheduler, records history, judges health
// (thresholds plus the 7-day trend), and raises or clears the disk's alert. An admin's
// acknowledgement lives on the alert (one place); it keeps a warning quiet until the
// evidence gets worse, when the alert is raised again.

import type { Database } from 'lmdb';
import type { DiskHealth, DiskRecord, HealthReason } from '../../../../core/src/api/disks.js';
import type { SmartReport } from '../../../../core/src/api/smart.js';
import type { AlertInfo } from '../../../../core/src/api/jobs.js';
import { HavenError } from '../../../../core/src/errors.js';
import type { EventBus } from '../../events.js';
import type { AlertCenter } from '../../jobs/alerts.js';
import type { Scheduler } from '../../jobs/scheduler.js';
import type { StateDb } from '../../state/state-db.js';
import type { Inventory } from '../inventory.js';
import type { SmartHistory } from './history.js';
import type { SmartSource } from './smart-source.js';
import { assess, evidenceOf, type Assessment } from './verdict.js';

const TREND_WINDOW_MS = 7 * 24 * 3_600_000;

export function alertKey(diskId: string): string {
  return `disk.smart:${diskId}`;
}

export function describeDisk(d: DiskRecord): string {
  const what = d.model ?? (d.backingFile ? `loop device (${d.backingFile})` : 'disk');
  return `${what}${d.serial ? ` serial ${d.serial}` : ''}${d.devicePath && !d.devicePath.startsWith('replay:') ? ` (${d.devicePath})` : ''}`;
}

export interface SmartServiceDeps {
  state: StateDb;
  inventory: Inventory;
  source: SmartSource;
  history: SmartHistory;
  alerts: AlertCenter;
  bus: EventBus;
  scheduler: Scheduler;
}

export interface SmartServiceOptions {
  pollMs: number;
  now?: () => number;
}

export class SmartService {
  private readonly reports: Database<SmartReport, string>;
  private readonly now: () => number;
  private readonly inFlight = new Map<string, Promise<SmartReport | null>>();

  private readonly inventory: Inventory;
  private readonly source: SmartSource;
  private readonly history: SmartHistory;
  private readonly alerts: AlertCenter;
  private readonly bus: EventBus;
  private readonly scheduler: Scheduler;

  constructor(deps: SmartServiceDeps, private readonly options: SmartServiceOptions) {
    ({ inventory: this.inventory, source: this.source, history: this.history, alerts: this.alerts, bus: this.bus, scheduler: this.scheduler } = deps);
    this.reports = deps.state.db<SmartReport>('smart-last');
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.scheduler.every('smart.poll', this.options.pollMs, () => this.pollAll(), { firstDelayMs: 0 });
    this.scheduler.every('smart.history.prune', 3_600_000, async () => void (await this.history.prune(this.now())));
    // A disk that appears is read at once rather than at the next poll.
    this.bus.on(this, 'disk.added', (d) => void this.poll(d.id));
    this.bus.on(this, 'alert.changed', (a) => void this.syncAcknowledgement(a));
  }

  stop(): void {
    this.bus.removeListeners(this);
  }

  async pollAll(): Promise<void> {
    for (const d of this.inventory.list({ archived: false })) {
      if (d.present) await this.poll(d.id);
    }
  }

  /** Reads one disk now (joining a read already under way). */
  poll(diskId: string): Promise<SmartReport | null> {
    const running = this.inFlight.get(diskId);
    if (running) return running;
    const p = this.pollOnce(diskId).finally(() => this.inFlight.delete(diskId));
    this.inFlight.set(diskId, p);
    return p;
  }

  report(diskId: string): SmartReport {
    const d = this.inventory.get(diskId);
    return this.reports.get(diskId) ?? { diskId, verdict: d.health.verdict, reasons: d.health.reasons, checkedAt: d.health.checkedAt, asleep: false, record: null };
  }

  /** Acknowledges the disk's current warning (or failure) with a note. */
  async acknowledge(diskId: string, by: string, note: string): Promise<DiskRecord> {
    const d = this.inventory.get(diskId);
    if (d.health.verdict !== 'warning' && d.health.verdict !== 'failing') throw new HavenError('NOTHING_TO_ACKNOWLEDGE', { id: diskId, verdict: d.health.verdict });
    const alert = this.alerts.acknowledgeKey(alertKey(diskId), by, note);
    if (!alert) throw new HavenError('NOTHING_TO_ACKNOWLEDGE', { id: diskId, verdict: d.health.verdict });
    return (await this.syncAcknowledgement(alert)) ?? d;
  }

  async purge(diskId: string): Promise<void> {
    this.alerts.clear(alertKey(diskId));
    await this.history.purge(diskId);
    await this.reports.remove(diskId);
  }

  private async pollOnce(diskId: string): Promise<SmartReport | null> {
    const disk = this.inventory.find(diskId);
    if (!disk?.present) return null;
    let reading;
    try {
      reading = await this.source.read(disk, { wake: false });
    } catch (err) {
      reading = { kind: 'failed' as const, reason: err instanceof Error ? err.message : String(err) };
    }
    const at = this.now();
    const checkedAt = new Date(at).toISOString();
    let report: SmartReport;
    if (reading.kind === 'asleep') {
      const last = this.reports.get(diskId);
      report = last ? { ...last, asleep: true } : {
        diskId, verdict: 'unknown', checkedAt, asleep: true, record: null,
        reasons: [{ code: 'asleep', severity: 'unknown', message: 'no SMART data yet: the disk is in standby and was not woken' }],
      };
    } else if (reading.kind === 'failed') {
      report = { diskId, verdict: 'unknown', reasons: [{ code: 'no_data', severity: 'unknown', message: `no SMART data: ${reading.reason}` }], checkedAt, asleep: false, record: null };
    } else {
      const record = reading.record;
      const assessment = assess(record, this.history.baseline(diskId, at - TREND_WINDOW_MS), at);
      if (record.hasData) {
        await this.history.add(diskId, { t: at, temperatureC: record.temperatureC, powerOnHours: record.powerOnHours, counters: record.counters });
      }
      report = { diskId, verdict: assessment.verdict, reasons: assessment.reasons, checkedAt, asleep: false, record };
      this.updateAlert(disk, assessment);
    }
    await this.reports.put(diskId, report);
    const alert = this.alerts.byKey(alertKey(diskId));
    const health: DiskHealth = {
      verdict: report.verdict, reasons: report.reasons, checkedAt: report.checkedAt,
      temperatureC: report.record?.temperatureC ?? null, powerOnHours: report.record?.powerOnHours ?? null,
      acknowledged: acknowledgementOf(alert, report.verdict),
    };
    await this.inventory.setHealth(diskId, health);
    this.bus.emit('smart.updated', report);
    return report;
  }

  private updateAlert(disk: DiskRecord, a: Assessment): void {
    const key = alertKey(disk.id);
    if (a.verdict === 'passed') {
      this.alerts.clear(key);
      return;
    }
    if (a.verdict === 'unknown') return; // no new evidence either way
    const serious = a.reasons.filter((r: HealthReason) => r.severity === 'failing' || r.severity === 'warning');
    this.alerts.raise(key, {
      severity: a.verdict === 'failing' ? 'critical' : 'warning',
      subject: describeDisk(disk),
      message: `${a.verdict === 'failing' ? 'Failing: plan to replace this disk now.' : 'Warning: watch this disk.'} ${serious.map((r) => r.message).join('; ')}`,
      evidence: evidenceOf(a),
    });
  }

  /**
   * The disk as the alert registry sees it right now. The stored mirror of an
   * acknowledgement is written asynchronously (after `alert.changed`), so reads overlay the
   * alert's current state: an acknowledgement made through the alerts API shows at once.
   */
  withLiveAcknowledgement(d: DiskRecord): DiskRecord {
    const acknowledged = acknowledgementOf(this.alerts.byKey(alertKey(d.id)), d.health.verdict);
    return JSON.stringify(acknowledged) === JSON.stringify(d.health.acknowledged) ? d : { ...d, health: { ...d.health, acknowledged } };
  }

  /** Mirrors the alert's acknowledgement into the disk's health. */
  private async syncAcknowledgement(alert: AlertInfo): Promise<DiskRecord | null> {
    if (!alert.key.startsWith('disk.smart:')) return null;
    const id = alert.key.slice('disk.smart:'.length);
    const d = this.inventory.find(id);
    if (!d) return null;
    return this.inventory.setHealth(id, { ...d.health, acknowledged: acknowledgementOf(alert, d.health.verdict) });
  }
}

function acknowledgementOf(alert: AlertInfo | null, verdict: DiskHealth['verdict']): DiskHealth['acknowledged'] {
  if (!alert?.acknowledged || (verdict !== 'warning' && verdict !== 'failing')) return null;
  return { ...alert.acknowledged, verdict };
}
