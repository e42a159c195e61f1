// The bound of client/src/backup/settled.ts on real stats: a ctime at or after the backup's
// start less SETTLE_MS is not trusted, one a nanosecond before it is; a directory's listing
// (from the addon, and from Node without it) is trusted only when all its ctimes are; a time
// that is not a number trusts nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTLE_MS, Settled } from '../../client/src/backup/settled.js';
import { DirScanner } from '../../client/src/fs/dir-scan.js';
import { addonOrFallback } from '../../core/src/native/addon.js';
import { tempDir } from '../helpers/tmp.js';

test('a ctime is settled strictly before the start less SETTLE_MS, to the nanosecond', () => {
  const started = Date.UTC(2026, 11, 7, 22, 0, 0, 123);
  const s = new Settled(started);
  const bound = BigInt(started - SETTLE_MS) * 1_000_000n;
  assert.equal(s.file(bound - 1n), true);
  assert.equal(s.file(bound), false);
  assert.equal(s.file(bound + 1n), false);
  assert.equal(s.file(BigInt(started) * 1_000_000n), false, 'changed at the start');
  assert.equal(s.file(0n), true, 'the epoch');
  assert.equal(s.file(-5_000_000_000n), true, 'before the epoch');
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(new Settled(bad).file(-(1n << 62n)), false, `${bad}: nothing settled`);
});

test('a listing is settled only if every entry\'s ctime is, with the addon and without', async (t) => {
  const dir = tempDir(t);
  for (const n of ['a', 'b', 'c']) writeFileSync(join(dir, n), n);
  const newest = Math.max(...['a', 'b', 'c'].map((n) => Number(statSync(join(dir, n), { bigint: true }).ctimeNs / 1_000_000n)));
  for (const [how, addon] of [['addon', addonOrFallback()], ['node', null]] as const) {
    if (how === 'addon') assert.ok(addon, 'the addon is built');
    const listing = await new DirScanner(addon).scan(dir);
    assert.equal(listing.length, 3);
    // the newest ctime, in ms, is settled for a backup that started SETTLE_MS + 2 ms after it
    assert.equal(new Settled(newest + SETTLE_MS + 2).listing(listing), true, `${how}: all old enough`);
    assert.equal(new Settled(newest + SETTLE_MS).listing(listing), false, `${how}: the newest within the bound`);
    assert.equal(new Settled(Number.NaN).listing(listing), false, `${how}: nothing settled`);
  }
});
