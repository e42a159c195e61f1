// Time windows in which a peer may pull, in the appliance's time zone: `Mon-Fri 19:00-07:00`,
// `Sat,Sun 00:00-24:00`, `22:00-06:00` (every day). The days name the day a window opens on,
// so a window whose end is not after its start crosses midnight: `Fri 19:00-07:00` runs
// from Friday 19:00 to Saturday 07:00. Outside every window the peer waits.
//
// The arithmetic works on local wall-clock dates built with `new Date(y, m, d, h, min)`, so a
// window keeps its wall-clock hours across a change of the zone's offset.

import { HavenError } from '../../../core/src/errors.js';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const FORM = 'write [DAYS ]HH:MM-HH:MM, DAYS a day (Mon..Sun), a range (Mon-Fri) or a list (Sat,Sun), e.g. "Mon-Fri 19:00-07:00"';
const WINDOW = /^(?:([A-Za-z,-]+)\s+)?([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})$/;
/** Days looked at around now: the day before (a window crossing midnight) to a week ahead. */
const LOOK_BACK = 1;
const LOOK_AHEAD = 8;

export interface TimeWindow {
  /** The text it was parsed from (kept as given, shown back). */
  text: string;
  /** Weekdays (0 Sunday .. 6 Saturday) the window opens on. */
  days: ReadonlySet<number>;
  /** Minutes after local midnight. */
  start: number;
  /** Minutes after the opening day's midnight, > start (a crossing window ends the next day: + 1440). */
  end: number;
}

export interface WindowState {
  open: boolean;
  /** When it closes (open) or next opens (closed), Unix ms; null when that never changes (no windows). */
  until: number | null;
}

function invalid(text: string, why: string): HavenError {
  return new HavenError('PEER_WINDOW_INVALID', { window: text, detail: `${why}; ${FORM}` });
}

/** A day by its name or any abbreviation of at least three letters (Mon, Tues, Wednesday), any case. */
function dayIndex(text: string, name: string): number {
  const key = name.toLowerCase();
  const i = key.length >= 3 ? DAYS.findIndex((d) => d.startsWith(key)) : -1;
  if (i < 0) throw invalid(text, `${JSON.stringify(name)} is not a day`);
  return i;
}

function parseDays(text: string, spec: string | undefined): Set<number> {
  if (spec === undefined) return new Set([0, 1, 2, 3, 4, 5, 6]);
  const days = new Set<number>();
  for (const part of spec.split(',')) {
    const [from, to, more] = part.split('-');
    if (from === undefined || from === '' || more !== undefined || to === '') throw invalid(text, `${JSON.stringify(part)} is not a day or a range of days`);
    const a = dayIndex(text, from);
    const b = to === undefined ? a : dayIndex(text, to);
    // A range may wrap around the week: Fri-Mon is Fri, Sat, Sun, Mon.
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  return days;
}

function minutes(text: string, h: string, m: string, allow24: boolean): number {
  const hours = Number(h);
  const mins = Number(m);
  if (mins > 59 || hours > 24 || (hours === 24 && (mins !== 0 || !allow24))) throw invalid(text, `${h}:${m} is not a time of day`);
  return hours * 60 + mins;
}

/** Parses one window; PEER_WINDOW_INVALID (400) for anything else. */
export function parseWindow(text: string): TimeWindow {
  const m = WINDOW.exec(text.trim());
  if (!m) throw invalid(text, 'not a window');
  const days = parseDays(text, m[1]);
  const start = minutes(text, m[2] as string, m[3] as string, false);
  let end = minutes(text, m[4] as string, m[5] as string, true);
  if (end === start) throw invalid(text, 'it opens and closes at the same time (a whole day is 00:00-24:00)');
  if (end < start) end += 24 * 60;
  return { text, days, start, end };
}

export function parseWindows(texts: readonly string[]): TimeWindow[] {
  return texts.map(parseWindow);
}

/** Local midnight `offset` days after the day of `ms`, as a date with year, month and day. */
function localDay(ms: number, offset: number): { y: number; m: number; d: number; weekday: number } {
  const now = new Date(ms);
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset);
  return { y: day.getFullYear(), m: day.getMonth(), d: day.getDate(), weekday: day.getDay() };
}

/** Every opening of the windows from the day before `now` to a week ahead, as [start, end) in Unix ms, by start. */
function openings(windows: readonly TimeWindow[], now: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let k = -LOOK_BACK; k <= LOOK_AHEAD; k++) {
    const day = localDay(now, k);
    for (const w of windows) {
      if (!w.days.has(day.weekday)) continue;
      out.push([new Date(day.y, day.m, day.d, 0, w.start).getTime(), new Date(day.y, day.m, day.d, 0, w.end).getTime()]);
    }
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * Whether `now` is inside a window, and until when (its close, following windows that
 * overlap or touch it) or, outside, when the next one opens. No windows: always open.
 */
export function windowState(windows: readonly TimeWindow[], now: number): WindowState {
  if (windows.length === 0) return { open: true, until: null };
  const spans = openings(windows, now);
  let end: number | null = null;
  for (const [s, e] of spans) {
    if (end === null) {
      if (s <= now && now < e) end = e;
    } else if (s <= end) end = Math.max(end, e);
  }
  if (end !== null) return { open: true, until: end };
  const next = spans.find(([s]) => s > now);
  // Every window opens at least once a week, so a week ahead always holds the next opening.
  return { open: false, until: next ? next[0] : null };
}
