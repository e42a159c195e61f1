// The arithmetic of reports with fixed clocks: the period, missed cron slots, RPO compliance
// and the longest gap, the days of a period across a DST change, and RFC 4180 quoting.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HavenError } from '../../core/src/errors.js';
import { csvField } from '../../daemon/src/report/report-csv.js';
import { groupReport } from '../../daemon/src/report/group-report.js';
import { offsiteUnknown } from '../../daemon/src/report/offsite.js';
import { daysOf, reportPeriod } from '../../daemon/src/report/period.js';
import { missedSlots, rpoCompliance } from '../../daemon/src/report/report-math.js';

const T0 = Date.parse('2026-03-02T00:00:00Z'); // a Monday
const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

test('a period defaults to the week before now; dates, times and a duration back are read', () => {
  assert.deepEqual(reportPeriod({}, T0), { since: T0 - 7 * DAY, until: T0 });
  assert.deepEqual(reportPeriod({ since: '2026-02-01', until: '2026-02-03T12:00:00Z' }, T0), { since: Date.parse('2026-02-01T00:00:00Z'), until: Date.parse('2026-02-03T12:00:00Z') });
  assert.deepEqual(reportPeriod({ since: '30d', until: '2026-03-01' }, T0), { since: Date.parse('2026-03-01T00:00:00Z') - 30 * DAY, until: Date.parse('2026-03-01T00:00:00Z') });
  for (const bad of [{ since: 'yesterday' }, { until: '7d' }, { since: '2026-03-05', until: '2026-03-01' }, { since: '2026-03-01', until: '2026-03-01' }, { since: '1990-01-01' }]) {
    assert.throws(() => reportPeriod(bad, T0), (err: unknown) => err instanceof HavenError && err.code === 'REPORT_PERIOD_INVALID', JSON.stringify(bad));
  }
});

test('a cron slot is missed when nothing committed before the next slot; the open slot is pending', () => {
  const daily = '0 2 * * *';
  const slot = (d: number): number => T0 + d * DAY + 2 * HOUR;
  // backups: day 0 at 02:05, day 1 none, day 2 at 23:59 (late but before the next slot), day 3 none
  const commits = [slot(0) + 5 * MIN, slot(2) + 21 * HOUR + 59 * MIN];
  const now = slot(4) + HOUR;
  const r = missedSlots(daily, 'UTC', { since: T0, until: now, now }, commits);
  assert.deepEqual(r, { expected: 4, missed: [slot(1), slot(3)], pending: slot(4) });
  // a commit exactly at a slot counts for it; one just before counts for the slot before
  assert.deepEqual(missedSlots(daily, 'UTC', { since: T0, until: slot(2), now }, [slot(1) - 1, slot(1)]), { expected: 2, missed: [], pending: null });
  // until in the past: every slot of the period is judged; none outside it is
  assert.deepEqual(missedSlots(daily, 'UTC', { since: slot(1), until: slot(3), now }, []), { expected: 2, missed: [slot(1), slot(2)], pending: null });
  // a zone moves the slots
  const berlin = missedSlots(daily, 'Europe/Berlin', { since: T0, until: T0 + DAY, now }, []);
  assert.deepEqual(berlin?.missed, [T0 + HOUR]);
  // a per-second schedule over a week is not enumerated
  assert.equal(missedSlots('* * * * * *', 'UTC', { since: T0, until: T0 + 7 * DAY, now }, []), null);
});

test('RPO compliance is the share of the window the newest good snapshot stayed younger than the RPO', () => {
  const rpo = 6 * HOUR;
  // good backups at 00:00 (before the window), 08:00 and 20:00; window [02:00, 24:00)
  const good = [T0, T0 + 8 * HOUR, T0 + 20 * HOUR];
  const c = rpoCompliance(rpo, T0 - DAY, good, T0 + 2 * HOUR, T0 + DAY);
  // breach from 06:00 to 08:00 (2 h) and 14:00 to 20:00 (6 h)
  assert.deepEqual(c, { measuredMs: 22 * HOUR, breachMs: 8 * HOUR, longestGapMs: 12 * HOUR, longestGapFrom: T0 + 8 * HOUR });
  // never backed up: measured from the entry's creation, like the RPO watch
  assert.deepEqual(rpoCompliance(rpo, T0, [], T0, T0 + DAY), { measuredMs: DAY, breachMs: DAY - rpo, longestGapMs: DAY, longestGapFrom: T0 });
  // an age of exactly the RPO is a breach (rpo-state.ts: now >= since + RPO)
  assert.equal(rpoCompliance(rpo, T0, [T0], T0, T0 + rpo + 1).breachMs, 1);
  assert.equal(rpoCompliance(rpo, T0, [T0], T0, T0 + rpo).breachMs, 0);
  // a backup after the window changes nothing in it
  assert.deepEqual(rpoCompliance(rpo, T0, [T0, T0 + 2 * DAY], T0, T0 + DAY), rpoCompliance(rpo, T0, [T0], T0, T0 + DAY));
  // an empty window measures nothing
  assert.deepEqual(rpoCompliance(rpo, T0, good, T0 + DAY, T0 + DAY), { measuredMs: 0, breachMs: 0, longestGapMs: null, longestGapFrom: null });
});

test('RPO compliance agrees with a millisecond-by-millisecond count on random histories', () => {
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 50; round++) {
    const good = Array.from({ length: rand(6) }, () => rand(4000)).sort((a, b) => a - b);
    const rpo = 1 + rand(900);
    const created = rand(1000);
    const from = Math.max(created, rand(2000));
    const to = from + rand(2500);
    let breach = 0;
    for (let t = from; t < to; t++) {
      const ref = [...good].reverse().find((g) => g <= t) ?? created;
      if (t - ref >= rpo) breach++;
    }
    assert.equal(rpoCompliance(rpo, created, good, from, to).breachMs, breach, JSON.stringify({ good, rpo, created, from, to }));
  }
});

test('a group report expects nothing before its plan entry existed', () => {
  const entry = {
    group: 'web', owner: '', rpo: '1d', schedule: '0 2 * * *', grace: '1h', rto: null, offsitePeer: null, mode: 'active' as const,
    created: new Date(T0 + 3 * DAY).toISOString(), updated: new Date(T0 + 3 * DAY).toISOString(), updatedBy: 'test',
  };
  const now = T0 + 7 * DAY;
  const r = groupReport({
    group: 'web', entry, state: 'BREACH', snapshots: [], deletedCommits: [], isDamaged: () => false, damaged: [], verifyRuns: [], drills: [],
    offsite: offsiteUnknown('web', entry),
  }, { period: { since: T0, until: now }, now, timeZone: 'UTC' });
  // slots at 02:00 of days 3..6: days 3, 4 and 5 are judged, day 6's is open until day 7's
  assert.deepEqual([r.missed.expected, r.missed.missed, r.missed.pending], [3, 3, new Date(T0 + 6 * DAY + 2 * HOUR).toISOString()]);
  assert.deepEqual([r.rpo.measuredSeconds, r.rpo.breachSeconds, r.rpo.compliance], [4 * 86_400, 3 * 86_400, 0.25]);
  assert.equal(r.days.length, 7);
  assert.deepEqual(r.days.map((d) => d.compliance), [null, null, null, 1, 0, 0, 0]);
  assert.equal(r.offsite.configured, false);
});

test('the days of a period follow the zone, a DST day included', () => {
  const p = { since: Date.parse('2026-03-28T12:00:00Z'), until: Date.parse('2026-03-31T00:00:00Z') };
  const days = daysOf(p, 'Europe/Berlin');
  assert.deepEqual(days.map((d) => d.day), ['2026-03-28', '2026-03-29', '2026-03-30', '2026-03-31']);
  assert.equal(days[0]?.from, p.since);
  assert.equal(days[1]?.from, Date.parse('2026-03-28T23:00:00Z'));
  assert.equal((days[1]?.to as number) - (days[1]?.from as number), 23 * HOUR, 'the day clocks go forward has 23 hours');
  assert.equal(days[3]?.to, p.until);
  assert.deepEqual(daysOf({ since: T0, until: T0 + DAY }, 'UTC'), [{ day: '2026-03-02', from: T0, to: T0 + DAY }]);
});

test('CSV fields are quoted as RFC 4180 says', () => {
  assert.equal(csvField('web01'), 'web01');
  assert.equal(csvField('0 3 * * 1,4'), '"0 3 * * 1,4"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField(null), '');
  assert.equal(csvField(0.5), '0.5');
});
