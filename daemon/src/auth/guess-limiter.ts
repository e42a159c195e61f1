// Rate limit for credential guesses: bearer tokens, passwords and the setup code share one
// budget per client address, and all addresses together share a global one, so a botnet of
// addresses cannot guess faster than one patient attacker. Only failures count: the many
// requests of clients with valid credentials never touch a budget.
//
// - A locked address is refused before its credential is checked (else a correct guess would
//   still get through), valid or not, until its oldest counted failure leaves the window.
// - A success never resets a budget: an attacker holding one valid (say backup) token cannot
//   interleave it to keep guessing for another. It only marks the address as known good.
// - When the global budget is spent, known-good addresses (a success within the window) keep
//   working; addresses never seen succeed wait. A legitimate client that was already working
//   is not slowed down by someone else's attack.
// - Passwords are also limited per account name (a slow distributed guess at one account).
// Tokens and session secrets carry 256 bits of entropy, so this is defence in depth for them;
// for passwords it is the defence. Session cookies are not counted: a stale cookie after
// logout or expiry is the normal case, not a guess.

import { HavenError } from '../../../core/src/errors.js';
import { AttemptLimiter } from '../accounts/attempt-limiter.js';
import { counter, type MetricFamily } from '../metrics/registry.js';

export interface GuessLimits {
  /** Failures per client address within the window. */
  perAddress: number;
  /** Failures across all addresses within the window. */
  global: number;
  /** Failures per account name (passwords) within the window. */
  perAccount: number;
  windowMs: number;
  now?: () => number;
}

export type GuessKind = 'token' | 'password';

const EVERYWHERE = 'all';
/** Known-good addresses remembered at most; the least recently successful are forgotten first. */
const MAX_TRUSTED = 10_000;

export class GuessLimiter {
  private readonly byAddress: AttemptLimiter;
  private readonly byAccount: AttemptLimiter;
  private readonly everywhere: AttemptLimiter;
  /** Address -> time of its last success. */
  private readonly trusted = new Map<string, number>();
  private readonly refused: Record<GuessKind, number> = { token: 0, password: 0 };
  private readonly failed: Record<GuessKind, number> = { token: 0, password: 0 };
  private readonly now: () => number;

  constructor(private readonly limits: GuessLimits) {
    this.now = limits.now ?? Date.now;
    const common = { windowMs: limits.windowMs, now: this.now };
    this.byAddress = new AttemptLimiter({ ...common, max: limits.perAddress });
    this.byAccount = new AttemptLimiter({ ...common, max: limits.perAccount });
    this.everywhere = new AttemptLimiter({ ...common, max: limits.global, maxKeys: 1 });
  }

  /**
   * Throws AUTH_RATE_LIMITED (tokens) or RATE_LIMITED (passwords, as the login form has
   * always shown) when this address, or this account, may not guess now.
   */
  admit(address: string, kind: GuessKind, account?: string): void {
    let wait = this.byAddress.lockedMs([address]);
    if (account !== undefined) wait = Math.max(wait, this.byAccount.lockedMs([account]));
    if (wait === 0 && !this.isTrusted(address)) wait = this.everywhere.lockedMs([EVERYWHERE]);
    if (wait === 0) return;
    this.refused[kind]++;
    const seconds = Math.max(1, Math.ceil(wait / 1000));
    throw kind === 'token' ? new HavenError('AUTH_RATE_LIMITED', { seconds }) : new HavenError('RATE_LIMITED', { seconds });
  }

  fail(address: string, kind: GuessKind, account?: string): void {
    this.failed[kind]++;
    this.byAddress.fail([address]);
    if (account !== undefined) this.byAccount.fail([account]);
    this.everywhere.fail([EVERYWHERE]);
  }

  succeed(address: string): void {
    this.trusted.delete(address); // re-insert: Map order is then least recently successful first
    this.trusted.set(address, this.now());
    if (this.trusted.size > MAX_TRUSTED) this.trusted.delete(this.trusted.keys().next().value as string);
  }

  collect(): MetricFamily[] {
    const byKind = (counts: Record<GuessKind, number>) => (Object.keys(counts) as GuessKind[]).map((kind) => ({ labels: { kind }, value: counts[kind] }));
    return [
      counter('haven_auth_failures_total', 'Failed authentications (wrong token, password or setup code)', byKind(this.failed)),
      counter('haven_auth_guesses_refused_total', 'Authentication attempts refused unchecked by the guess rate limit (429)', byKind(this.refused)),
    ];
  }

  private isTrusted(address: string): boolean {
    const at = this.trusted.get(address);
    return at !== undefined && this.now() - at < this.limits.windowMs;
  }
}
