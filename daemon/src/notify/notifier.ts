// Turns alerts into notifications (issue 15): an alert raised (or raised again because it got
// worse) and an alert resolved each become one outbox message per target whose rule matches.
// Quiet updates (`alert.changed`) notify nobody. For `rpo.*` alerts the message carries the
// plan entry's RPO state: BREACH or LATE when raised, the state that resolved it (OK) after.

import { hostname } from 'node:os';
import type { AlertInfo } from '../../../core/src/api/jobs.js';
import type { Notification, NotificationStatus, NotifyTarget, TestSendResult } from '../../../core/src/api/notify.js';
import type { EventBus } from '../events.js';
import type { Send } from './channels.js';
import type { Outbox } from './outbox.js';
import { alertKind, ruleMatches } from './rules.js';
import type { TargetStore } from './target-store.js';

export interface NotifierDeps {
  bus: EventBus;
  targets: Pick<TargetStore, 'list' | 'require'>;
  outbox: Pick<Outbox, 'enqueue'>;
  send: Send;
  /** The plan entry's RPO state, null when the group has none. */
  rpoState: (group: string) => string | null;
  now: () => number;
  log: { error(obj: object, msg: string): void };
}

const RAISED_STATE: Record<string, string> = { 'rpo.breach': 'BREACH', 'rpo.late': 'LATE' };

export class Notifier {
  private readonly appliance = hostname();

  constructor(private readonly deps: NotifierDeps) {}

  start(): void {
    this.deps.bus.on(this, 'alert.raised', (a) => void this.route(a, 'raised'));
    this.deps.bus.on(this, 'alert.cleared', (a) => void this.route(a, 'resolved'));
  }

  stop(): void {
    this.deps.bus.removeListeners(this);
  }

  notification(alert: AlertInfo, status: NotificationStatus): Notification {
    const kind = alertKind(alert.key);
    const group = alert.group ?? null;
    const state = !kind.startsWith('rpo.') || group === null ? null
      : status === 'raised' ? (RAISED_STATE[kind] ?? null) : this.deps.rpoState(group);
    return {
      id: `${alert.id}.${status}.${alert.reraised}`, kind, status, severity: alert.severity, group, state,
      subject: alert.subject, message: alert.message, alertId: alert.id,
      at: status === 'resolved' ? (alert.cleared ?? alert.updated) : alert.updated, appliance: this.appliance,
    };
  }

  /** Sends a test message to one target now, bypassing the outbox, and says how it went. */
  async test(name: string): Promise<TestSendResult> {
    const target: NotifyTarget = this.deps.targets.require(name);
    const at = new Date(this.deps.now()).toISOString();
    const n: Notification = {
      id: `test.${this.deps.now().toString(36)}`, kind: 'test', status: 'test', severity: 'info', group: null, state: null,
      subject: 'Haven test notification', message: `A test sent to ${name} from ${this.appliance}: if you read this, notifications reach you.`,
      alertId: null, at, appliance: this.appliance,
    };
    try {
      await this.deps.send(target.channel, n);
      return { target: name, delivered: true, error: null };
    } catch (err) {
      return { target: name, delivered: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * Sends an event that is no alert (a report summary) to every target whose rule matches;
   * answers how many it was queued for. `id` must be unique per event: receivers drop repeats.
   */
  async announce(event: Pick<Notification, 'id' | 'kind' | 'severity' | 'group' | 'subject' | 'message'>): Promise<number> {
    const n: Notification = { ...event, status: 'event', state: null, alertId: null, at: new Date(this.deps.now()).toISOString(), appliance: this.appliance };
    let queued = 0;
    for (const t of this.deps.targets.list()) {
      if (!ruleMatches(t.rule, n)) continue;
      await this.deps.outbox.enqueue(t.name, n);
      queued++;
    }
    return queued;
  }

  private async route(alert: AlertInfo, status: NotificationStatus): Promise<void> {
    const n = this.notification(alert, status);
    for (const t of this.deps.targets.list()) {
      if (!ruleMatches(t.rule, n)) continue;
      try {
        await this.deps.outbox.enqueue(t.name, n);
      } catch (err) {
        this.deps.log.error({ err, target: t.name, alert: alert.key }, 'a notification could not be queued');
      }
    }
  }
}
