// Rate limit for password and setup-code guesses: a sliding window of failures per key
// (client address, account name). Once a key has `max` failures inside the window, further
// attempts are refused with RATE_LIMITED until the oldest failure leaves the window; a
// success clears the key. Memory stays bounded: the oldest keys are dropped first.

import { HavenError } from '../../../core/src/errors.js';

export interface LimiterOptions {
  max: number;
  windowMs: number;
  maxKeys?: number;
  now?: () => number;
}

export class AttemptLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly options: LimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Throws RATE_LIMITED when any of the keys is locked out. */
  check(keys: string[]): void {
    const wait = this.lockedMs(keys);
    if (wait > 0) throw new HavenError('RATE_LIMITED', { seconds: Math.ceil(wait / 1000) });
  }

  /** How long until every one of the keys may try again (0: now). */
  lockedMs(keys: string[]): number {
    let wait = 0;
    for (const key of keys) wait = Math.max(wait, this.lockedFor(key));
    return wait;
  }

  fail(keys: string[]): void {
    const t = this.now();
    for (const key of keys) {
      const list = this.recent(key, t);
      list.push(t);
      // Only the newest `max` failures decide a lockout: a key failing without pause keeps a bounded list.
      if (list.length > this.options.max) list.splice(0, list.length - this.options.max);
      this.failures.delete(key); // re-insert: Map order is then least recently failed first
      this.failures.set(key, list);
    }
    const maxKeys = this.options.maxKeys ?? 10_000;
    for (const key of this.failures.keys()) {
      if (this.failures.size <= maxKeys) break;
      this.failures.delete(key);
    }
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }

  private recent(key: string, t: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => t - at < this.options.windowMs);
  }

  private lockedFor(key: string): number {
    const t = this.now();
    const list = this.recent(key, t);
    if (list.length < this.options.max) return 0;
    return (list[list.length - this.options.max] as number) + this.options.windowMs - t;
  }
}
