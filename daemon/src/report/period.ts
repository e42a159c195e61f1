// The period a report covers: `until` defaults to now, `since` to a week before `until`. Either
// may be a date (`2026-12-01`: midnight UTC, as Date.parse reads it), a date and time (ISO
// 8601); `since` may also be a duration back from `until` (`30d`). The period is half-open,
// [since, until); one that is empty or reversed is REPORT_PERIOD_INVALID.

import { HavenError } from '../../../core/src/errors.js';
import { parseDuration } from '../../../core/src/time/duration.js';

export const DEFAULT_PERIOD = '7d';
/** Ten years: the days and slots of a longer period would take seconds to lay out. */
const MAX_PERIOD_MS = 3660 * 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

export interface Period {
  since: number;
  until: number;
}

function instant(text: string, which: 'since' | 'until'): number {
  const ms = DATE.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new HavenError('REPORT_PERIOD_INVALID', { detail: `${which} ${JSON.stringify(text)} is not a date (2026-12-01), an ISO 8601 time${which === 'since' ? ' or a duration (7d)' : ''}` });
  return ms;
}

export function reportPeriod(input: { since?: string | undefined; until?: string | undefined }, now: number): Period {
  const until = input.until === undefined ? now : instant(input.until, 'until');
  const sinceText = input.since ?? DEFAULT_PERIOD;
  const since = /^[0-9]+[smhdw]$/.test(sinceText) ? until - parseDuration(sinceText) : instant(sinceText, 'since');
  if (until - since > MAX_PERIOD_MS) {
    throw new HavenError('REPORT_PERIOD_INVALID', { detail: 'a report covers at most 3660 days (ten years)' });
  }
  if (since >= until) {
    throw new HavenError('REPORT_PERIOD_INVALID', { detail: `since (${new Date(since).toISOString()}) must be before until (${new Date(until).toISOString()})` });
  }
  return { since, until };
}

/** An ISO 8601 time within [since, until). */
export function inPeriod(time: string, p: Period): boolean {
  const t = Date.parse(time);
  return t >= p.since && t < p.until;
}

/** The calendar day of an instant in a zone, `YYYY-MM-DD`. */
export function dayOf(ms: number, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) formats.set(timeZone, (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return format.format(ms);
}
/** Building a formatter costs far more than formatting: one per zone. */
const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * The days the period touches, each with the part of the period it holds ([from, to)). Found
 * by stepping an hour at a time, so days of 23 or 25 hours (a DST change) come out right.
 */
export function daysOf(period: Period, timeZone: string): Array<{ day: string; from: number; to: number }> {
  const out: Array<{ day: string; from: number; to: number }> = [];
  const HOUR = 3_600_000;
  let from = period.since;
  let day = dayOf(from, timeZone);
  // The first hour boundary after `since`: days change on hour boundaries in every zone in use
  // today but a few at :30/:45, which the minute refinement below finds.
  for (let t = Math.floor(from / HOUR) * HOUR + HOUR; ; t += HOUR) {
    const end = Math.min(t, period.until);
    const d = end >= period.until ? null : dayOf(end, timeZone);
    if (d === null || d !== day) {
      const to = d === null ? period.until : firstOfDay(Math.max(end - HOUR, from), end, day, timeZone);
      out.push({ day, from, to });
      if (d === null || out.length > 3700) return out;
      from = to;
      day = dayOf(to, timeZone);
    }
  }
}

/** The first minute in (lo, hi] whose day is not `day`. */
function firstOfDay(lo: number, hi: number, day: string, timeZone: string): number {
  const MIN = 60_000;
  for (let t = Math.floor(lo / MIN) * MIN + MIN; t < hi; t += MIN) if (dayOf(t, timeZone) !== day) return t;
  return hi;
}
