// The persistent outbox (issue 15): every notification is written to the state db
// (`notify-outbox`) before any attempt to send it, then delivered by one pump with retries
// and exponential backoff (base, doubling, capped), so a message survives a daemon restart
// and a target that is down for hours. A message still undelivered after `giveUpMs` is marked
// failed and kept for the record. Delivery is at least once: a crash between a successful
// send and its record being written sends it again (the message id lets a receiver drop it).

import { randomBytes } from 'node:crypto';
import type { Database } from 'lmdb';
import type { Notification, NotifyTarget, OutboxMessage } from '../../../core/src/api/notify.js';
import type { StateDb } from '../state/state-db.js';
import type { Send } from './channels.js';

export interface OutboxOptions {
  retryBaseMs: number;
  retryMaxMs: number;
  giveUpMs: number;
  /** Delivered and failed messages kept for the record. */
  keepDone?: number;
}

export interface OutboxDeps {
  state: StateDb;
  target: (name: string) => NotifyTarget | null;
  send: Send;
  now: () => number;
  log: { warn(obj: object, msg: string): void };
}

/** The wait before attempt `attempts + 1`, after `attempts` failures (>= 1). */
export function retryDelay(attempts: number, o: Pick<OutboxOptions, 'retryBaseMs' | 'retryMaxMs'>): number {
  return Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** Math.min(attempts - 1, 30));
}

export class Outbox {
  private readonly db: Database<OutboxMessage, string>;
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(private readonly deps: OutboxDeps, private readonly options: OutboxOptions) {
    this.db = deps.state.db<OutboxMessage>('notify-outbox');
  }

  /** Begins delivering, first what an earlier run left pending. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** No new attempts; waits for the one in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.pumping;
  }

  /** Records the message (flushed) and wakes the pump. */
  async enqueue(target: string, notification: Notification): Promise<OutboxMessage> {
    const now = this.deps.now();
    const at = new Date(now).toISOString();
    const id = `${now.toString(36).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;
    const message: OutboxMessage = {
      id, target, notification, state: 'pending', attempts: 0, nextAttempt: at, lastError: null, created: at, delivered: null,
    };
    await this.db.put(id, message);
    this.kick();
    return message;
  }

  /** Messages by target and state (metrics, the UI's per-target summary). */
  counts(): Map<string, Record<OutboxMessage['state'], number>> {
    const counts = new Map<string, Record<OutboxMessage['state'], number>>();
    for (const { value } of this.db.getRange()) {
      const c = counts.get(value.target) ?? { pending: 0, delivered: 0, failed: 0 };
      c[value.state] += 1;
      counts.set(value.target, c);
    }
    return counts;
  }

  /** Newest first. */
  list(limit = 100): OutboxMessage[] {
    return [...this.db.getRange({ reverse: true, limit })].map((e) => e.value);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.again) {
        this.again = false;
        this.kick();
      } else this.arm();
    });
  }

  /** Sleeps until the earliest pending attempt. */
  private arm(): void {
    if (this.stopped) return;
    let earliest: number | null = null;
    for (const m of this.pending()) earliest = Math.min(earliest ?? Infinity, Date.parse(m.nextAttempt as string));
    if (earliest === null) return;
    this.timer = setTimeout(() => this.kick(), Math.max(0, earliest - this.deps.now()));
    this.timer.unref();
  }

  private pending(): OutboxMessage[] {
    return [...this.db.getRange()].map((e) => e.value).filter((m) => m.state === 'pending');
  }

  /**
   * Attempts every due message: targets side by side (one that hangs until the timeout holds
   * up no other), each target's messages in order of creation.
   */
  private async pump(): Promise<void> {
    const due = new Map<string, OutboxMessage[]>();
    for (const m of this.pending()) {
      if (Date.parse(m.nextAttempt as string) > this.deps.now()) continue;
      due.set(m.target, [...(due.get(m.target) ?? []), m]);
    }
    await Promise.all([...due.values()].map(async (messages) => {
      for (const m of messages) {
        if (this.stopped) return;
        await this.attempt(m);
      }
    }));
    this.pruneDone();
  }

  private async attempt(m: OutboxMessage): Promise<void> {
    const target = this.deps.target(m.target);
    if (!target) {
      await this.db.put(m.id, { ...m, state: 'failed', nextAttempt: null, lastError: 'the target was removed' });
      return;
    }
    try {
      await this.deps.send(target.channel, m.notification);
      await this.db.put(m.id, { ...m, state: 'delivered', attempts: m.attempts + 1, nextAttempt: null, delivered: new Date(this.deps.now()).toISOString() });
    } catch (err) {
      const now = this.deps.now();
      const attempts = m.attempts + 1;
      const lastError = err instanceof Error ? err.message : String(err);
      const giveUp = now - Date.parse(m.created) >= this.options.giveUpMs;
      this.deps.log.warn({ target: m.target, message: m.id, attempts, err: lastError, giveUp }, 'notification not delivered');
      await this.db.put(m.id, {
        ...m, attempts, lastError,
        state: giveUp ? 'failed' : 'pending',
        nextAttempt: giveUp ? null : new Date(now + retryDelay(attempts, this.options)).toISOString(),
      });
    }
  }

  private pruneDone(): void {
    let seen = 0;
    for (const { key, value } of this.db.getRange({ reverse: true })) {
      if (value.state !== 'pending' && ++seen > (this.options.keepDone ?? 1000)) void this.db.remove(key);
    }
  }
}
