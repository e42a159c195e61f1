// The fault matrix's SIGKILL tests (issue 17) share their timing and their report: how many
// kills a file makes (a few in `npm test`, 20 under HAVEN_RELIABILITY=1: `npm run
// reliability`), a kill moment drawn from within an undisturbed run of the operation as
// measured just before, and one line per kill (when it came, within what, what it hit,
// how long the daemon took to come back) with a tally of the outcomes at the end.

import { randomInt } from 'node:crypto';
import type { TestContext } from 'node:test';

export const RELIABILITY = process.env.HAVEN_RELIABILITY === '1';

/** `quick` kills in `npm test`, `full` under HAVEN_RELIABILITY=1. */
export function killCount(quick: number, full = 20): number {
  return RELIABILITY ? full : quick;
}

/** A moment within an operation that took `windowMs` undisturbed: uniform in [from, to] of it. */
export function killMomentMs(windowMs: number, from = 0.05, to = 0.95): number {
  const lo = Math.floor(windowMs * from);
  const hi = Math.max(lo + 1, Math.floor(windowMs * to));
  return randomInt(lo, hi);
}

/** How long `fn` takes, with its result. */
export async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

export interface KillRecord {
  /** When the kill came, from the operation's start. */
  atMs: number;
  /** The undisturbed run's duration the moment was drawn from. */
  windowMs: number;
  /** What the kill cut or found (one word or phrase per kind, tallied at the end). */
  outcome: string;
  /** From the restart to the daemon serving again. */
  restartMs: number;
  /** Anything else worth a figure (bytes done, phase). */
  detail?: string;
}

export class KillLog {
  readonly kills: KillRecord[] = [];

  constructor(private readonly operation: string) {}

  add(k: KillRecord): void {
    this.kills.push(k);
  }

  /** Kills per outcome, e.g. "interrupted 17, finished first 3". */
  tally(): string {
    const by = new Map<string, number>();
    for (const k of this.kills) by.set(k.outcome, (by.get(k.outcome) ?? 0) + 1);
    return [...by].map(([o, n]) => `${o} ${n}`).join(', ');
  }

  /** One diagnostic per kill and a summary line (kill moments as a share of their window). */
  report(t: TestContext): void {
    for (const [i, k] of this.kills.entries()) {
      t.diagnostic(`${this.operation} kill ${i + 1}: at ${k.atMs} ms of ${k.windowMs} ms (${Math.round((100 * k.atMs) / Math.max(1, k.windowMs))}%), ${k.outcome}; `
        + `up again in ${k.restartMs} ms${k.detail ? `; ${k.detail}` : ''}`);
    }
    const shares = this.kills.map((k) => k.atMs / Math.max(1, k.windowMs));
    const restarts = this.kills.map((k) => k.restartMs);
    t.diagnostic(`${this.operation}: ${this.kills.length} kills at ${pct(Math.min(...shares))}-${pct(Math.max(...shares))} of the measured run; `
      + `${this.tally()}; restarts ${Math.min(...restarts)}-${Math.max(...restarts)} ms`);
  }
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}
