// The free-space reserve on a real file system (a 32 MiB tmpfs): a burst of admissions cannot
// overshoot the reserve between two statfs readings, bytes written and settled are not counted
// twice, a refusal is STORAGE_FULL with the figures, space given back admits uploads again at
// the next admission, and the refused state (the alert) clears only a quarter above the reserve.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HavenError } from '../../core/src/errors.js';
import { INDEX_HEADROOM_BYTES, SpaceReserve, effectiveReserveBytes, type ReserveStatus } from '../../daemon/src/store/space-reserve.js';
import { needRoot } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;
/** RECORD_HEADER_BYTES: each admitted object is charged its record header too. */
const HEADER = 56;

function freeOf(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** A reserve over a fresh 32 MiB tmpfs, with a clock the test moves. */
function world(t: import('node:test').TestContext, reserveBytes: number) {
  const dir = tempDir(t, 'haven-reserve-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', dir]);
  t.after(() => execFileSync('umount', ['-l', dir]));
  const clock = { t: 1_000_000 };
  const changes: boolean[] = [];
  const reserve = new SpaceReserve({
    root: () => dir, reserveBytes, now: () => clock.t, onListenerError: (err) => assert.fail(String(err)),
  });
  reserve.onChange((s) => changes.push(s.uploadsRefused));
  return { dir, clock, reserve, changes };
}

function isFull(e: unknown): boolean {
  assert.ok(e instanceof HavenError, String(e));
  assert.equal(e.code, 'STORAGE_FULL');
  assert.equal(e.status, 507);
  return true;
}

test('the automatic reserve is two segments plus the index headroom; an explicit one wins', () => {
  assert.equal(effectiveReserveBytes({ reserveBytes: 0, segmentMaxBytes: 64 * MiB }), 128 * MiB + INDEX_HEADROOM_BYTES);
  assert.equal(INDEX_HEADROOM_BYTES, 256 * MiB);
  assert.equal(effectiveReserveBytes({ reserveBytes: 5 * MiB, segmentMaxBytes: 64 * MiB }), 5 * MiB);
});

test('a burst of admissions within one reading stops at the reserve, not past it', async (t) => {
  if (!needRoot(t, 'mounting a tmpfs')) return;
  const { dir, reserve, changes } = world(t, 8 * MiB);
  const free = freeOf(dir);
  // 40 parallel 1 MiB batches against ~24 MiB above the reserve: all decided on one reading.
  const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => reserve.admit({ objects: 1, bytes: MiB })));
  const admitted = outcomes.filter((o) => o.status === 'fulfilled').length;
  assert.equal(admitted, Math.floor((free - 8 * MiB) / (MiB + HEADER)), 'exactly what fits above the reserve');
  for (const o of outcomes) if (o.status === 'rejected') isFull(o.reason);
  const refusal = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
  const details = (refusal.reason as HavenError).details as { freeBytes: number; reserveBytes: number; requestedBytes: number };
  assert.equal(details.reserveBytes, 8 * MiB);
  assert.equal(details.requestedBytes, MiB + HEADER);
  assert.ok(details.freeBytes < 8 * MiB + MiB + HEADER, `free ${details.freeBytes} is what the refused batch would have cut into the reserve`);
  assert.deepEqual(changes, [true], 'one change: uploads are refused');
  const s = reserve.status();
  assert.equal(s.uploadsRefused, true);
  assert.equal(s.reserveBytes, 8 * MiB);
  assert.equal(s.capacityBytes, 32 * MiB);
});

test('written and settled bytes count once; the file system never goes below the reserve', async (t) => {
  if (!needRoot(t, 'mounting a tmpfs')) return;
  const { dir, clock, reserve, changes } = world(t, 8 * MiB);
  let written = 0;
  for (let i = 0; ; i++) {
    assert.ok(i < 40, 'refused before the file system is full');
    clock.t += i % 3 === 0 ? 1500 : 10; // some admissions on a fresh reading, some between readings
    let admission;
    try {
      admission = await reserve.admit({ objects: 1, bytes: MiB });
    } catch (e) {
      isFull(e);
      break;
    }
    writeFileSync(join(dir, `part-${i}`), Buffer.alloc(MiB, 1));
    written += MiB;
    admission.settle();
    admission.settle(); // twice is once
  }
  assert.ok(freeOf(dir) >= 8 * MiB, `free ${freeOf(dir)} stays above the reserve`);
  assert.ok(freeOf(dir) < 8 * MiB + 2 * (MiB + HEADER), 'and the space above it was used: settled bytes were not counted twice');
  assert.ok(written >= 20 * MiB);
  assert.deepEqual(changes, [true]);
});

test('space given back admits uploads again at the next admission; the refused state clears a quarter above the reserve', async (t) => {
  if (!needRoot(t, 'mounting a tmpfs')) return;
  const { dir, clock, reserve, changes } = world(t, 8 * MiB);
  writeFileSync(join(dir, 'ballast'), Buffer.alloc(Math.max(0, freeOf(dir) - 6 * MiB), 1));
  let status: ReserveStatus = await reserve.refresh();
  assert.equal(status.uploadsRefused, true, 'below the reserve before any upload: refused (the alert need not wait for a backup)');
  assert.ok(status.freeBytes <= 6 * MiB && status.freeBytes > 5 * MiB, String(status.freeBytes));
  await assert.rejects(reserve.admit({ objects: 1, bytes: 1024 }), isFull);
  assert.deepEqual(changes, [true]);

  rmSync(join(dir, 'ballast'));
  // Within REREAD_MS of the last reading a refusal rests on it; after that, it reads again.
  clock.t += 50;
  await assert.rejects(reserve.admit({ objects: 1, bytes: 1024 }), isFull);
  clock.t += 100;
  (await reserve.admit({ objects: 1, bytes: MiB })).settle();
  status = await reserve.refresh();
  assert.equal(status.uploadsRefused, false, 'the periodic refresh sees the space given back');
  assert.deepEqual(changes, [true, false]);

  // A refusal just above the reserve: the state stays on until free space is 2 MiB (a quarter) above it.
  writeFileSync(join(dir, 'ballast'), Buffer.alloc(Math.max(0, freeOf(dir) - 11 * MiB), 1));
  writeFileSync(join(dir, 'part'), Buffer.alloc(2 * MiB, 1));
  clock.t += 2000;
  await assert.rejects(reserve.admit({ objects: 1, bytes: 2 * MiB }), isFull);
  assert.equal((await reserve.refresh()).uploadsRefused, true, '9 MiB free: above the reserve, not a quarter above');
  (await reserve.admit({ objects: 1, bytes: 512 * 1024 })).settle();
  assert.equal(reserve.status().uploadsRefused, true, 'a small upload that fits does not clear it either');
  rmSync(join(dir, 'part'));
  clock.t += 2000;
  assert.equal((await reserve.refresh()).uploadsRefused, false, '11 MiB free: a quarter above the reserve');
  assert.deepEqual(changes, [true, false, true, false]);
});

test('a datastore whose file system cannot be read refuses uploads with STORAGE_IO', async (t) => {
  const dir = tempDir(t);
  const reserve = new SpaceReserve({ root: () => join(dir, 'gone'), reserveBytes: MiB, now: Date.now, onListenerError: (err) => assert.fail(String(err)) });
  await assert.rejects(reserve.admit({ objects: 1, bytes: 1 }), (e: unknown) => e instanceof HavenError && e.code === 'STORAGE_IO' && /free space of .*gone: ENOENT/.test(e.message));
});
