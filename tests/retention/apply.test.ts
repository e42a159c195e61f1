// The retention math, table-driven: every case lists each snapshot (newest first) with the
// reasons it is kept for, or REMOVED. Times are fixed (Date.UTC); the clock is never read.
// Berlin's DST changes in 2024: 2024-03-31 01:00Z (02:00 CET -> 03:00 CEST, a 23-hour day)
// and 2024-10-27 01:00Z (03:00 CEST -> 02:00 CET, a 25-hour day, 02:xx happens twice).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HavenError } from '../../core/src/errors.js';
import { REASON_NO_RULE, applyRetention, type RetentionSnapshot } from '../../core/src/retention/apply.js';
import { validatePolicy, type RetentionPolicy } from '../../core/src/retention/policy.js';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0) => Date.UTC(y, mo - 1, d, h, mi, s, ms);
const REMOVED = [REASON_NO_RULE];

interface Case {
  name: string;
  policy: RetentionPolicy;
  timeZone?: string;
  /** [id, time, protected?], in any order */
  snapshots: Array<[string, number, boolean?]>;
  /** Newest first: [id, reasons] (REMOVED for a removed snapshot). */
  expect: Array<[string, readonly string[]]>;
}

const springForward: Case['snapshots'] = [
  ['apr1-0030', utc(2024, 3, 31, 22, 30)], // 00:30 CEST 2024-04-01
  ['mar31-2330', utc(2024, 3, 31, 21, 30)], // 23:30 CEST 2024-03-31
  ['mar31-0030', utc(2024, 3, 30, 23, 30)], // 00:30 CET 2024-03-31, same local day
  ['mar30-2330', utc(2024, 3, 30, 22, 30)], // 23:30 CET 2024-03-30
];

const cases: Case[] = [
  {
    name: 'keep-daily: days without a backup do not count',
    policy: { keepDaily: 3 },
    snapshots: [['d1', utc(2024, 1, 1, 12)], ['d5', utc(2024, 1, 5, 12)], ['d6', utc(2024, 1, 6, 12)], ['d9', utc(2024, 1, 9, 12)], ['d10', utc(2024, 1, 10, 12)]],
    expect: [['d10', ['daily 2024-01-10']], ['d9', ['daily 2024-01-09']], ['d6', ['daily 2024-01-06']], ['d5', REMOVED], ['d1', REMOVED]],
  },
  {
    name: 'several backups a day: the newest of each day is kept',
    policy: { keepDaily: 2 },
    snapshots: [['10a', utc(2024, 1, 10, 6)], ['10b', utc(2024, 1, 10, 12)], ['10c', utc(2024, 1, 10, 18)], ['9a', utc(2024, 1, 9, 6)], ['9b', utc(2024, 1, 9, 18)], ['8a', utc(2024, 1, 8, 18)]],
    expect: [['10c', ['daily 2024-01-10']], ['10b', REMOVED], ['10a', REMOVED], ['9b', ['daily 2024-01-09']], ['9a', REMOVED], ['8a', REMOVED]],
  },
  {
    name: 'spring forward (Berlin, 23-hour day): one period per local date',
    policy: { keepDaily: 3 },
    timeZone: 'Europe/Berlin',
    snapshots: springForward,
    expect: [['apr1-0030', ['daily 2024-04-01']], ['mar31-2330', ['daily 2024-03-31']], ['mar31-0030', REMOVED], ['mar30-2330', ['daily 2024-03-30']]],
  },
  {
    name: 'the same snapshots in UTC fall into other days (the zone matters)',
    policy: { keepDaily: 3 },
    timeZone: 'UTC',
    snapshots: springForward,
    expect: [['apr1-0030', ['daily 2024-03-31']], ['mar31-2330', REMOVED], ['mar31-0030', ['daily 2024-03-30']], ['mar30-2330', REMOVED]],
  },
  {
    name: 'fall back (Berlin, 25-hour day): snapshots 24.5 h apart share a day',
    policy: { keepDaily: 3 },
    timeZone: 'Europe/Berlin',
    snapshots: [
      ['oct28-0015', utc(2024, 10, 27, 23, 15)], // 00:15 CET 2024-10-28
      ['oct27-2345', utc(2024, 10, 27, 22, 45)], // 23:45 CET 2024-10-27
      ['oct27-0015', utc(2024, 10, 26, 22, 15)], // 00:15 CEST 2024-10-27
      ['oct26-2345', utc(2024, 10, 26, 21, 45)], // 23:45 CEST 2024-10-26
    ],
    expect: [['oct28-0015', ['daily 2024-10-28']], ['oct27-2345', ['daily 2024-10-27']], ['oct27-0015', REMOVED], ['oct26-2345', ['daily 2024-10-26']]],
  },
  {
    name: 'fall back, hourly: the repeated 02:xx hour is two periods (one per offset)',
    policy: { keepHourly: 10 },
    timeZone: 'Europe/Berlin',
    snapshots: [
      ['0310cet', utc(2024, 10, 27, 2, 10)],
      ['0230cet', utc(2024, 10, 27, 1, 30)],
      ['0210cet', utc(2024, 10, 27, 1, 10)],
      ['0230cest', utc(2024, 10, 27, 0, 30)],
      ['0210cest', utc(2024, 10, 27, 0, 10)],
      ['0130cest', utc(2024, 10, 26, 23, 30)],
    ],
    expect: [
      ['0310cet', ['hourly 2024-10-27T03:00+01:00']],
      ['0230cet', ['hourly 2024-10-27T02:00+01:00']],
      ['0210cet', REMOVED],
      ['0230cest', ['hourly 2024-10-27T02:00+02:00']],
      ['0210cest', REMOVED],
      ['0130cest', ['hourly 2024-10-27T01:00+02:00']],
    ],
  },
  {
    name: 'spring forward, hourly: the skipped 02:xx hour is no period',
    policy: { keepHourly: 2 },
    timeZone: 'Europe/Berlin',
    snapshots: [['0330', utc(2024, 3, 31, 1, 30)], ['0130', utc(2024, 3, 31, 0, 30)], ['0110', utc(2024, 3, 31, 0, 10)], ['0030', utc(2024, 3, 30, 23, 30)]],
    expect: [['0330', ['hourly 2024-03-31T03:00+02:00']], ['0130', ['hourly 2024-03-31T01:00+01:00']], ['0110', REMOVED], ['0030', REMOVED]],
  },
  {
    name: 'weekly across the year boundary: 2024-W01 starts on Monday 2024-01-01',
    policy: { keepWeekly: 5 },
    snapshots: [['mon', utc(2024, 1, 1, 12)], ['sun', utc(2023, 12, 31, 12)], ['mon-before', utc(2023, 12, 25, 12)], ['sun-before', utc(2023, 12, 24, 12)]],
    expect: [['mon', ['weekly 2024-W01']], ['sun', ['weekly 2023-W52']], ['mon-before', REMOVED], ['sun-before', ['weekly 2023-W51']]],
  },
  {
    name: 'weekly: 2020 has a week 53 that ends on 2021-01-03; 2019-12-30 is in 2020-W01',
    policy: { keepWeekly: 10 },
    snapshots: [
      ['2021-01-04', utc(2021, 1, 4, 12)],
      ['2021-01-03', utc(2021, 1, 3, 12)],
      ['2020-12-31', utc(2020, 12, 31, 12)],
      ['2020-12-28', utc(2020, 12, 28, 12)],
      ['2020-12-27', utc(2020, 12, 27, 12)],
      ['2020-01-01', utc(2020, 1, 1, 12)],
      ['2019-12-30', utc(2019, 12, 30, 12)],
      ['2019-12-29', utc(2019, 12, 29, 12)],
    ],
    expect: [
      ['2021-01-04', ['weekly 2021-W01']],
      ['2021-01-03', ['weekly 2020-W53']],
      ['2020-12-31', REMOVED],
      ['2020-12-28', REMOVED],
      ['2020-12-27', ['weekly 2020-W52']],
      ['2020-01-01', ['weekly 2020-W01']],
      ['2019-12-30', REMOVED],
      ['2019-12-29', ['weekly 2019-W52']],
    ],
  },
  {
    name: 'weekly, monthly and yearly use the local date (Berlin is already in 2024)',
    policy: { keepWeekly: 2, keepMonthly: 2, keepYearly: 2 },
    timeZone: 'Europe/Berlin',
    snapshots: [['berlin-jan1', utc(2023, 12, 31, 23, 30)], ['berlin-dec31', utc(2023, 12, 31, 22, 30)]],
    expect: [
      ['berlin-jan1', ['weekly 2024-W01', 'monthly 2024-01', 'yearly 2024']],
      ['berlin-dec31', ['weekly 2023-W52', 'monthly 2023-12', 'yearly 2023']],
    ],
  },
  {
    name: 'monthly and yearly: months and years without a backup do not count',
    policy: { keepMonthly: 3, keepYearly: 3 },
    snapshots: [
      ['2024-03-15', utc(2024, 3, 15)],
      ['2024-03-01', utc(2024, 3, 1)],
      ['2024-02-29', utc(2024, 2, 29)],
      ['2024-01-31', utc(2024, 1, 31)],
      ['2023-12-31', utc(2023, 12, 31)],
      ['2023-06-30', utc(2023, 6, 30)],
      ['2021-12-31', utc(2021, 12, 31)],
      ['2020-05-05', utc(2020, 5, 5)],
    ],
    expect: [
      ['2024-03-15', ['monthly 2024-03', 'yearly 2024']],
      ['2024-03-01', REMOVED],
      ['2024-02-29', ['monthly 2024-02']],
      ['2024-01-31', ['monthly 2024-01']],
      ['2023-12-31', ['yearly 2023']],
      ['2023-06-30', REMOVED],
      ['2021-12-31', ['yearly 2021']],
      ['2020-05-05', REMOVED],
    ],
  },
  {
    name: 'keep-within counts from the newest snapshot, not from now (a client gone for months keeps its last week)',
    policy: { keepWithin: '7d' },
    snapshots: [
      ['jun10', utc(2023, 6, 10, 12)],
      ['jun05', utc(2023, 6, 5, 12)],
      ['jun03', utc(2023, 6, 3, 12)], // exactly 7 days: kept
      ['jun03-1ms', utc(2023, 6, 3, 11, 59, 59, 999)], // 7 days and 1 ms: not
      ['jun01', utc(2023, 6, 1, 12)],
    ],
    expect: [
      ['jun10', ['within 7d of the newest']],
      ['jun05', ['within 7d of the newest']],
      ['jun03', ['within 7d of the newest']],
      ['jun03-1ms', REMOVED],
      ['jun01', REMOVED],
    ],
  },
  {
    name: 'protected snapshots are kept and take no keep-last slot and no day',
    policy: { keepLast: 1, keepDaily: 2 },
    snapshots: [['p-new', utc(2024, 1, 10, 18), true], ['jan10', utc(2024, 1, 10, 6)], ['jan9', utc(2024, 1, 9, 12)], ['p-old', utc(2024, 1, 8, 12), true], ['jan7', utc(2024, 1, 7, 12)]],
    expect: [['p-new', ['protected']], ['jan10', ['last 1', 'daily 2024-01-10']], ['jan9', ['daily 2024-01-09']], ['p-old', ['protected']], ['jan7', REMOVED]],
  },
  {
    name: 'a protected newest snapshot is not keep-within\'s anchor',
    policy: { keepWithin: '1d' },
    snapshots: [['p', utc(2024, 1, 20, 12), true], ['jan10', utc(2024, 1, 10, 12)], ['jan9', utc(2024, 1, 9, 12)], ['jan2', utc(2024, 1, 2, 12)]],
    expect: [['p', ['protected']], ['jan10', ['within 1d of the newest']], ['jan9', ['within 1d of the newest']], ['jan2', REMOVED]],
  },
  {
    name: 'a snapshot kept by several rules lists every reason, in policy order',
    policy: { keepLast: 2, keepHourly: 1, keepDaily: 1, keepWeekly: 1, keepMonthly: 1, keepYearly: 1, keepWithin: '1h' },
    snapshots: [['jan10', utc(2024, 1, 10, 12)], ['jan9', utc(2024, 1, 9, 12)], ['jan8', utc(2024, 1, 8, 12)]],
    expect: [
      ['jan10', ['last 1', 'hourly 2024-01-10T12:00+00:00', 'daily 2024-01-10', 'weekly 2024-W02', 'monthly 2024-01', 'yearly 2024', 'within 1h of the newest']],
      ['jan9', ['last 2']],
      ['jan8', REMOVED],
    ],
  },
  {
    name: 'keep-last with daily: a rule at 0 keeps nothing, the others still apply',
    policy: { keepLast: 3, keepDaily: 0 },
    snapshots: [['a', utc(2024, 1, 4)], ['b', utc(2024, 1, 3)], ['c', utc(2024, 1, 2)], ['d', utc(2024, 1, 1)]],
    expect: [['a', ['last 1']], ['b', ['last 2']], ['c', ['last 3']], ['d', REMOVED]],
  },
  {
    name: 'equal times are ordered by id, whatever the input order',
    policy: { keepLast: 1 },
    snapshots: [['b', utc(2024, 1, 1)], ['a', utc(2024, 1, 1)]],
    expect: [['a', ['last 1']], ['b', REMOVED]],
  },
  {
    name: 'an empty policy never prunes',
    policy: {},
    snapshots: [['old', utc(2001, 1, 1)], ['new', utc(2024, 1, 1)], ['p', utc(2010, 1, 1), true]],
    expect: [['new', ['no policy: never pruned']], ['p', ['protected']], ['old', ['no policy: never pruned']]],
  },
  { name: 'no snapshots, nothing to decide', policy: { keepLast: 1 }, snapshots: [], expect: [] },
];

for (const c of cases) {
  test(c.name, () => {
    const snapshots: RetentionSnapshot[] = c.snapshots.map(([id, time, prot]) => (prot === undefined ? { id, time } : { id, time, protected: prot }));
    const got = applyRetention(snapshots, c.policy, { timeZone: c.timeZone ?? 'UTC' });
    assert.deepEqual(
      got.map((d) => [d.id, d.keep, d.reasons]),
      c.expect.map(([id, reasons]) => [id, reasons !== REMOVED, reasons]),
    );
  });
}

// A deterministic spread of snapshots: hourly-ish backups over two years with gaps.
function spread(seed: number, count: number): RetentionSnapshot[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let t = utc(2024, 12, 31);
  return Array.from({ length: count }, (_, i) => {
    t -= Math.floor(next() * 3 * 86_400_000);
    return next() < 0.15 ? { id: `s${i}`, time: t, protected: true } : { id: `s${i}`, time: t };
  });
}

const policies: RetentionPolicy[] = [
  { keepLast: 3 },
  { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 5 },
  { keepHourly: 24, keepWithin: '30d' },
  { keepLast: 1, keepDaily: 0, keepWithin: '2w' },
];

test('protecting a snapshot never changes what happens to the others', () => {
  for (const policy of policies) {
    for (const seed of [1, 7, 42]) {
      const all = spread(seed, 400);
      const withProtected = applyRetention(all, policy, { timeZone: 'Europe/Berlin' }).filter((d) => d.reasons[0] !== 'protected');
      const without = applyRetention(all.filter((s) => s.protected !== true), policy, { timeZone: 'Europe/Berlin' });
      assert.deepEqual(withProtected, without, `${JSON.stringify(policy)} seed ${seed}`);
    }
  }
});

test('every snapshot gets one decision; the newest unprotected one is always kept', () => {
  for (const policy of policies) {
    const all = spread(3, 300);
    const got = applyRetention(all, policy, { timeZone: 'America/New_York' });
    assert.deepEqual(new Set(got.map((d) => d.id)), new Set(all.map((s) => s.id)));
    assert.equal(got.length, all.length);
    for (const d of got) assert.equal(d.keep, d.reasons[0] !== REASON_NO_RULE);
    assert.equal(got.find((d) => d.reasons[0] !== 'protected')?.keep, true, JSON.stringify(policy));
    assert.ok(got.some((d) => !d.keep), 'a spread this long loses something under every policy');
  }
});

const invalidPolicies: Array<[unknown, RegExp]> = [
  [null, /must be an object/],
  [[], /must be an object/],
  ['keepLast=3', /must be an object/],
  [{ keepDialy: 7 }, /unknown retention rule "keepDialy"/],
  [{ keepLast: -1 }, /keepLast must be a whole number >= 0/],
  [{ keepDaily: 1.5 }, /keepDaily must be a whole number/],
  [{ keepWeekly: Number.NaN }, /keepWeekly must be a whole number/],
  [{ keepMonthly: Number.POSITIVE_INFINITY }, /keepMonthly must be a whole number/],
  [{ keepYearly: '3' }, /keepYearly must be a whole number/],
  [{ keepHourly: null }, /keepHourly must be a whole number/],
  [{ keepWithin: 7 }, /keepWithin must be a duration string/],
  [{ keepWithin: '7 days' }, /is not a duration/],
  [{ keepWithin: '0d' }, /at least 1/],
  [{ keepLast: 0 }, /keeps no snapshot/],
  [{ keepLast: 0, keepDaily: 0, keepYearly: 0 }, /keeps no snapshot/],
];

test('invalid policies are VALIDATION_FAILED with the problem named', () => {
  for (const [policy, detail] of invalidPolicies) {
    const isInvalid = (err: unknown) => err instanceof HavenError && err.code === 'VALIDATION_FAILED' && detail.test(err.message);
    assert.throws(() => validatePolicy(policy), isInvalid, JSON.stringify(policy));
    // applyRetention validates too, so a caller cannot skip it
    assert.throws(() => applyRetention([{ id: 'a', time: 0 }], policy as RetentionPolicy, { timeZone: 'UTC' }), isInvalid, JSON.stringify(policy));
  }
});

test('a valid policy comes back frozen with only the keys that were set', () => {
  const p = validatePolicy({ keepLast: 0, keepDaily: 7, keepWithin: '30d', keepWeekly: undefined });
  assert.deepEqual(p, { keepLast: 0, keepDaily: 7, keepWithin: '30d' });
  assert.ok(Object.isFrozen(p));
  assert.deepEqual(validatePolicy({}), {});
});

test('an unknown time zone, a repeated id or a time that is not a number is refused', () => {
  const isInvalid = (re: RegExp) => (err: unknown) => err instanceof HavenError && err.code === 'VALIDATION_FAILED' && re.test(err.message);
  assert.throws(() => applyRetention([], {}, { timeZone: 'Mars/Olympus_Mons' }), isInvalid(/unknown time zone/));
  assert.throws(() => applyRetention([{ id: 'a', time: 1 }, { id: 'a', time: 2 }], { keepLast: 1 }, { timeZone: 'UTC' }), isInvalid(/listed twice/));
  assert.throws(() => applyRetention([{ id: 'a', time: Number.NaN }], { keepLast: 1 }, { timeZone: 'UTC' }), isInvalid(/no valid time/));
});
