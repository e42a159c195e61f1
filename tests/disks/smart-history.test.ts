// History downsampling (raw 15 days, hourly 9 weeks, daily for years) in a real LMDB, and
// the NVMe self-test log that smartctl 7.3 prints only as text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmartHistory } from '../../daemon/src/disks/smart/history.js';
import { parseNvmeSelfTestText } from '../../daemon/src/disks/smart/nvme-selftest-text.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { tempDir } from '../helpers/tmp.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test('history keeps raw readings 15 days, hourly buckets 9 weeks, daily buckets beyond', async (t) => {
  const state = openStateDb(tempDir(t));
  t.after(() => state.close());
  const h = new SmartHistory(state);
  const now = Date.UTC(2026, 10, 21, 12);
  // 100 days of readings every 6 hours; reallocated count grows by one a day; temperature swings.
  for (let at = now - 100 * DAY; at <= now; at += 6 * HOUR) {
    const day = Math.floor((now - at) / DAY);
    await h.add('d1', { t: at, temperatureC: 30 + ((at / HOUR) % 24) / 6, powerOnHours: at / HOUR, counters: { 'ata.5': 100 - day } });
  }
  await h.add('d2', { t: now, temperatureC: 40, powerOnHours: 1, counters: {} });
  const removed = await h.prune(now);
  assert.ok(removed > 0);
  const points = h.query('d1', now - 120 * DAY, now, now);
  const tiers = (tier: string) => points.filter((p) => p.tier === tier);
  assert.ok(tiers('raw').every((p) => p.t >= now - 15 * DAY - HOUR), 'raw only for 15 days');
  assert.equal(tiers('raw').length, 15 * 4 + 1);
  assert.ok(tiers('hourly').every((p) => p.t >= now - 63 * DAY - DAY && p.t < now - 15 * DAY));
  assert.ok(tiers('daily').length >= 36 && tiers('daily').every((p) => p.t < now - 63 * DAY));
  // Buckets aggregate: four readings a day, min/max/mean temperature, counters as at the end.
  const daily = tiers('daily')[1]; // [0] is the partial first day
  assert.equal(daily?.samples, 4);
  assert.ok((daily?.temperatureMinC ?? 0) < (daily?.temperatureMaxC ?? 0));
  assert.equal(points.at(-1)?.counters['ata.5'], 100);
  assert.ok(points.every((p, i) => i === 0 || p.t > (points[i - 1]?.t ?? 0)), 'in time order, no overlap between tiers');
  // The trend baseline is the oldest raw reading in the window.
  assert.deepEqual(h.baseline('d1', now - 7 * DAY), { counters: { 'ata.5': 93 }, at: now - 7 * DAY });
  await h.purge('d1');
  assert.equal(h.query('d1', 0, now, now).length, 0);
  assert.deepEqual(h.query('d2', 0, now, now).map((p) => p.tier), ['raw'], 'recent: only the finest tier');
});

test('NVMe self-test log from smartctl 7.3 text output', () => {
  const done = parseNvmeSelfTestText([
    'Self-test Log (NVMe Log 0x06)',
    'Self-test status: No self-test in progress',
    'Num  Test_Description  Status                       Power_on_Hours  Failing_LBA  NSID Seg SCT Code',
    ' 0   Extended          Completed without error                3441            -     -   -   -    -',
    ' 1   Short             Completed: failed segments             3440        12345     1   2   -    -',
    ' 2   Short             Aborted: Controller Reset              3100            -     -   -   -    -',
  ].join('\n'));
  assert.equal(done?.inProgress, null);
  assert.deepEqual(done?.entries.map((e) => [e.type, e.result, e.powerOnHours, e.failingLba]), [
    ['Extended', 'passed', 3441, null], ['Short', 'failed', 3440, '12345'], ['Short', 'aborted', 3100, null],
  ]);
  const running = parseNvmeSelfTestText('Self-test Log (NVMe Log 0x06, NSID 0xffffffff)\nSelf-test status: Extended self-test in progress (28% completed)\nNo Self-tests Logged\n');
  assert.equal(running?.inProgress, 'Extended self-test in progress (28% completed)');
  assert.deepEqual(running?.entries, []);
  assert.equal(parseNvmeSelfTestText('SMART overall-health self-assessment test result: PASSED'), null);
});
