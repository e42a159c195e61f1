// Local calendar fields of an instant in an IANA time zone, through Intl.DateTimeFormat
// (the platform's tz database), so DST changes and historical offsets come out right
// without a table of our own. A 23- or 25-hour day is still one date; the repeated hour of
// a fall-back change shows as the same wall-clock hour with two different UTC offsets.

import { HavenError } from '../errors.js';

export interface ZonedFields {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number; // 1-31
  readonly hour: number; // 0-23
  /** The zone's offset from UTC at this instant, in seconds (east positive): +7200 for CEST. */
  readonly offsetSeconds: number;
}

/**
 * A function from epoch milliseconds to local fields in `timeZone`. Throws VALIDATION_FAILED
 * for a zone the platform does not know. Build it once per zone: the formatter is the
 * expensive part.
 */
export function zonedCalendar(timeZone: string): (ms: number) => ZonedFields {
  let format: Intl.DateTimeFormat;
  try {
    // Gregorian calendar, Latin digits and h23 whatever the locale would choose; an
    // explicit hour12:false can print midnight as "24" on some engines, h23 cannot.
    format = new Intl.DateTimeFormat('en-US-u-ca-gregory-nu-latn', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
  } catch (cause) {
    throw new HavenError('VALIDATION_FAILED', { detail: `unknown time zone ${JSON.stringify(timeZone)}: use an IANA name such as Europe/Berlin` }, { cause });
  }
  return (ms) => {
    const f: Record<string, string> = {};
    for (const part of format.formatToParts(ms)) f[part.type] = part.value;
    const year = Number(f.year);
    const month = Number(f.month);
    const day = Number(f.day);
    const hour = Number(f.hour);
    // The offset is what the local wall clock, read as if it were UTC, is ahead of the
    // instant, both at whole seconds.
    const wall = utcDate(year, month, day);
    wall.setUTCHours(hour, Number(f.minute), Number(f.second));
    const offsetSeconds = (wall.getTime() - Math.floor(ms / 1000) * 1000) / 1000;
    return { year, month, day, hour, offsetSeconds };
  };
}

/** The ISO 8601 week of a calendar date: weeks start on Monday, week 1 holds the year's first Thursday. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = utcDate(year, month, day);
  const mondayBased = (date.getUTCDay() + 6) % 7;
  // The Thursday of the same week decides which year the week belongs to.
  const thursday = new Date(date.getTime() + (3 - mondayBased) * 86_400_000);
  const isoYear = thursday.getUTCFullYear();
  const jan1 = utcDate(isoYear, 1, 1);
  return { year: isoYear, week: 1 + Math.floor((thursday.getTime() - jan1.getTime()) / (7 * 86_400_000)) };
}

/** Midnight UTC of a date; setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 19xx. */
function utcDate(year: number, month: number, day: number): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d;
}
