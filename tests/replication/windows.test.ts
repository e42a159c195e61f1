// Time windows of a replication peer (daemon/src/replication/windows.ts): parsing with typed
// errors, and the arithmetic of "open now, until when" on fixed clocks, midnight crossings
// and week wrap-arounds included, in the appliance's time zone (TZ set for this process).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HavenError } from '../../core/src/errors.js';
import { parseWindow, parseWindows, windowState } from '../../daemon/src/replication/windows.js';

process.env.TZ = 'UTC';

/** 2026-12-07 is a Monday. */
const at = (day: number, hh: number, mm = 0): number => Date.UTC(2026, 11, 7 + day, hh, mm);
const MON = 0, TUE = 1, FRI = 4, SAT = 5, SUN = 6;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

test('windows parse days, ranges, lists and times; bad input is PEER_WINDOW_INVALID (400)', () => {
  const w = parseWindow('Mon-Fri 19:00-07:00');
  assert.deepEqual([...w.days].sort(), [1, 2, 3, 4, 5]);
  assert.deepEqual([w.start, w.end], [19 * 60, 31 * 60], 'a window crossing midnight ends the next day');
  assert.deepEqual([...parseWindow('Fri-Mon 00:00-24:00').days].sort(), [0, 1, 5, 6], 'a range wraps around the week');
  assert.deepEqual([...parseWindow('sat,SUNDAY 08:30-12:00').days].sort(), [0, 6]);
  assert.equal(parseWindow('22:00-06:00').days.size, 7, 'no days: every day');
  for (const bad of ['', 'Mon-Fri', 'Mon 19:00', 'Mo 19:00-07:00', 'Funday 1:00-2:00', 'Mon 25:00-07:00', 'Mon 19:60-07:00',
    'Mon 10:00-10:00', 'Mon- 10:00-11:00', 'Mon-Tue-Wed 10:00-11:00', 'Mon 24:00-07:00', '10:00-24:30']) {
    assert.throws(() => parseWindow(bad), (err: unknown) => err instanceof HavenError && err.code === 'PEER_WINDOW_INVALID' && err.status === 400, bad);
  }
});

test('no windows: always open', () => {
  assert.deepEqual(windowState([], at(MON, 12)), { open: true, until: null });
});

test('a window crossing midnight: open on the night after its day, closed by day, and on the weekend', () => {
  const w = parseWindows(['Mon-Fri 19:00-07:00']);
  assert.deepEqual(windowState(w, at(MON, 12)), { open: false, until: at(MON, 19) });
  assert.deepEqual(windowState(w, at(MON, 19)), { open: true, until: at(TUE, 7) }, 'opens at its start');
  assert.deepEqual(windowState(w, at(TUE, 3)), { open: true, until: at(TUE, 7) }, 'after midnight, the day before opened it');
  assert.deepEqual(windowState(w, at(TUE, 7)), { open: false, until: at(TUE, 19) }, 'closed at its end');
  assert.deepEqual(windowState(w, at(SAT, 6, 59)), { open: true, until: at(SAT, 7) }, "Friday's night runs into Saturday");
  assert.equal(iso(windowState(w, at(SAT, 12)).until), iso(at(7, 19)), 'Saturday noon: next Monday evening');
  assert.equal(iso(windowState(w, at(SUN, 23, 30)).until), iso(at(7, 19)));
});

test('windows that touch or overlap are one opening; the next one may be days away', () => {
  const w = parseWindows(['Mon 20:00-24:00', 'Tue 00:00-02:00', 'Tue 01:00-03:30']);
  assert.deepEqual(windowState(w, at(MON, 21)), { open: true, until: at(TUE, 3, 30) });
  assert.deepEqual(windowState(w, at(TUE, 4)), { open: false, until: at(7, 20) });
  const weekend = parseWindows(['Sat,Sun 00:00-24:00']);
  assert.deepEqual(windowState(weekend, at(SAT, 1)), { open: true, until: at(7, 0) }, 'the whole weekend');
  assert.deepEqual(windowState(weekend, at(FRI, 23, 59)), { open: false, until: at(SAT, 0) });
});

test('days are those of the appliance time zone', () => {
  process.env.TZ = 'Asia/Tokyo'; // UTC+9, no daylight saving time
  try {
    const w = parseWindows(['Mon 09:00-10:00']);
    // Monday 09:30 in Tokyo is Monday 00:30 UTC
    assert.deepEqual(windowState(w, at(MON, 0, 30)), { open: true, until: at(MON, 1) });
    // Sunday 23:30 UTC is already Monday 08:30 in Tokyo: opens in half an hour
    assert.deepEqual(windowState(w, at(SUN - 7, 23, 30)), { open: false, until: at(MON, 0) });
  } finally {
    process.env.TZ = 'UTC';
  }
});
