// The lag history's bound on a real state db: samples of the last 6 hours stay as taken,
// older ones keep the worst of each 10 minutes, none older than 7 days; peers are apart and
// a removed peer's samples go.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LagHistoryStore } from '../../daemon/src/replication/lag-history.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

test('lag samples: recent ones as taken, older ones the worst per 10 minutes, none past 7 days', async (t) => {
  const state = openStateDb(tempDir(t));
  t.after(() => state.close());
  const history = new LagHistoryStore(state);
  const now = Date.UTC(2026, 11, 6, 12, 0, 0);
  // over the last 8 days: every 30 s in the last 6 hours, every 150 s before (4 per bucket);
  // written in batches, as lmdb commits the writes of one tick together
  const start = now - 8 * DAY;
  const times: number[] = [];
  for (let at = start; at <= now; at += at >= now - 6 * HOUR ? 30_000 : 150_000) times.push(at);
  // a peak of 900 s at 3 days ago, else the minute of the hour
  const lagAt = (at: number): number => (at === now - 3 * DAY ? 900 : new Date(at).getUTCMinutes());
  for (let i = 0; i < times.length; i += 500) {
    await Promise.all(times.slice(i, i + 500).map((at) => history.record('primary', at, lagAt(at), lagAt(at) > 0 ? 1 : 0)));
  }
  const samples = times.length;
  await history.record('other', now, 5, 1);
  await history.compact('primary', now);

  const kept = history.samples('primary');
  const keptTimes = kept.map((s) => Date.parse(s.time));
  assert.ok(keptTimes.every((x, i) => i === 0 || x > (keptTimes[i - 1] as number)), 'oldest first');
  assert.ok(keptTimes[0] as number >= now - 7 * DAY, 'nothing older than 7 days');
  const recent = keptTimes.filter((x) => x > now - 6 * HOUR);
  assert.equal(recent.length, (6 * HOUR) / 30_000, 'the last 6 hours as taken');
  const old = kept.filter((s) => Date.parse(s.time) <= now - 6 * HOUR);
  const buckets = new Set(old.map((s) => Math.floor(Date.parse(s.time) / (10 * MIN))));
  assert.equal(buckets.size, old.length, 'one sample per 10 minutes before that');
  assert.ok(old.length <= 7 * 24 * 6 + 1 && old.length >= 7 * 24 * 6 - 37, `about 6 per hour for 7 days (${old.length})`);
  assert.ok(old.some((s) => s.lagSeconds === 900), 'the worst of a bucket is the one kept: the peak stays');
  assert.ok(kept.length < samples / 2, `bounded: ${kept.length} of ${samples}`);

  assert.deepEqual(history.samples('other').map((s) => s.lagSeconds), [5], 'peers are apart');
  assert.equal(history.samples('primary', now - HOUR).length, HOUR / 30_000 + 1, 'since a time');
  await history.forget('primary');
  assert.deepEqual(history.samples('primary'), []);
  assert.equal(history.samples('other').length, 1);
});
