// Durations as people write them in policies and job settings: a whole number N >= 1 and
// one unit, `Ns`, `Nm`, `Nh`, `Nd`, `Nw` (seconds, minutes, hours, days, weeks). Shared by
// every job that takes one (retention's keep-within, schedules, timeouts).
//
// Deliberately narrow: one unit, lower case, no spaces, no fractions, no months or years.
// A day is 24 hours and a week 7 days of elapsed time, not calendar units: a month or a year
// has no fixed length, and `1M` (month) beside `1m` (minute) is a typo waiting to delete
// data. Anything else is a VALIDATION_FAILED error naming the text and the accepted form.

import { HavenError } from '../errors.js';

/** Milliseconds per unit, largest first (formatDuration picks the largest exact one). */
export const DURATION_UNITS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

export type DurationUnit = keyof typeof DURATION_UNITS;

const DURATION = /^([0-9]+)([smhdw])$/;

const FORM = 'write a whole number >= 1 and one unit: s, m, h, d or w (e.g. 90m, 7d, 4w)';

/** Parses `Ns|Nm|Nh|Nd|Nw` to milliseconds; throws VALIDATION_FAILED on anything else. */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw invalid(`a duration must be a string; ${FORM}`);
  const m = DURATION.exec(text);
  if (!m) throw invalid(`${JSON.stringify(text)} is not a duration; ${FORM}`);
  const n = Number(m[1]);
  if (n < 1) throw invalid(`${JSON.stringify(text)} is not a duration: N must be at least 1`);
  const ms = n * DURATION_UNITS[m[2] as DurationUnit];
  // Past 2^53 milliseconds (285,000 years) the product is no longer exact.
  if (!Number.isSafeInteger(ms)) throw invalid(`${JSON.stringify(text)} is too long a duration`);
  return ms;
}

/**
 * Formats milliseconds in the largest unit that divides them exactly (604800000 -> `1w`,
 * 5400000 -> `90m`), so parseDuration(formatDuration(ms)) === ms. Only a whole number of
 * seconds >= 1 has such a form; anything else throws VALIDATION_FAILED.
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < DURATION_UNITS.s || ms % DURATION_UNITS.s !== 0) {
    throw invalid(`${ms} ms cannot be written as a duration: it must be a whole number of seconds, at least 1`);
  }
  for (const [unit, size] of Object.entries(DURATION_UNITS)) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / DURATION_UNITS.s}s`; // not reached: seconds divide every value checked above
}

function invalid(detail: string): HavenError {
  return new HavenError('VALIDATION_FAILED', { detail });
}
