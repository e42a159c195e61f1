// A group's retention policy and its validation. The semantics of each rule are in
// apply.ts; this file only says what a well-formed policy is.
//
// What is refused, and why:
// - anything but a non-negative safe integer for a count, or a duration string (time/
//   duration.ts) for keepWithin; null too (an API form that means "unset" omits the key);
// - unknown keys: `keepDialy: 7` silently ignored would prune by the other rules only;
// - a policy that sets rules but keeps nothing (every count 0, no keepWithin): applied, it
//   would delete every unprotected snapshot of the group. To never prune, set no rule at
//   all (the empty policy {}), which is also what a group without a policy gets.

import { HavenError } from '../errors.js';
import { parseDuration } from '../time/duration.js';

/** The calendar period rules, finest first (the order reasons are listed in). */
export const PERIOD_RULES = ['keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;

export type PeriodRule = (typeof PERIOD_RULES)[number];

export const COUNT_RULES = ['keepLast', ...PERIOD_RULES] as const;

export type CountRule = (typeof COUNT_RULES)[number];

export type RetentionPolicy = { readonly [K in CountRule]?: number } & {
  /** A duration (`Ns|Nm|Nh|Nd|Nw`), counted back from the group's newest snapshot. */
  readonly keepWithin?: string;
};

const KEYS: readonly string[] = [...COUNT_RULES, 'keepWithin'];

/**
 * Checks an untrusted policy (a config file, an API body) and returns it as a frozen
 * RetentionPolicy holding only the keys that were set. Throws VALIDATION_FAILED naming the
 * first problem.
 */
export function validatePolicy(input: unknown): RetentionPolicy {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('a retention policy must be an object');
  }
  const source = input as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    if (!KEYS.includes(key)) throw invalid(`unknown retention rule ${JSON.stringify(key)}; the rules are ${KEYS.join(', ')}`);
  }
  const policy: { -readonly [K in keyof RetentionPolicy]: RetentionPolicy[K] } = {};
  for (const rule of COUNT_RULES) {
    const value = source[rule];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw invalid(`${rule} must be a whole number >= 0, not ${JSON.stringify(value) ?? String(value)}`);
    }
    policy[rule] = value;
  }
  const within = source.keepWithin;
  if (within !== undefined) {
    if (typeof within !== 'string') throw invalid(`keepWithin must be a duration string such as "7d", not ${JSON.stringify(within)}`);
    parseDuration(within);
    policy.keepWithin = within;
  }
  if (hasRules(policy) && !COUNT_RULES.some((r) => (policy[r] ?? 0) > 0) && policy.keepWithin === undefined) {
    throw invalid('this policy keeps no snapshot and would delete every unprotected one; to never prune, set no rule');
  }
  return Object.freeze(policy);
}

/** True when the policy sets any rule; a policy without rules never prunes. */
export function hasRules(policy: RetentionPolicy): boolean {
  return COUNT_RULES.some((r) => policy[r] !== undefined) || policy.keepWithin !== undefined;
}

function invalid(detail: string): HavenError {
  return new HavenError('VALIDATION_FAILED', { detail });
}
