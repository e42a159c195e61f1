// System test (root, real btrfs on loop devices): the swap survives daemon restarts. A
// graceful restart while it waits for the new disk; then havend SIGKILLed in the middle of
// the replace (the new disk's writes throttled through cgroup I/O limits, so the replace is
// running for seconds, deterministically, with no hook in the product). The kernel carries
// on; the next havend adopts the mounted pool, finds the swap at its step and phase, follows
// the replace to its end, scrubs, verifies, and the swap completes. Bit-exact afterwards.
// And a cancel in the middle of the replace leaves the pool as it was, as does one while
// `btrfs replace start` is still preparing the new disk (before the kernel has a replace).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import type { SwapInfo } from '../../core/src/api/swap.js';
import { throttleSupport } from '../helpers/pool-lab.js';
import {
  POOL_TEST_ENV, alive, codeOf, diskOf, followSwap, poolStatus, poolWorld, replaceStarter, swapAction, swapOntoNewDisk, swapWorld,
  waitFor, writeRealFiles,
} from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';
import { seededBytes } from '../helpers/real-data.js';

test('havend killed in the middle of the replace: the swap resumes and completes', async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const throttle = throttleSupport();
  if (!need(t, throttle !== null, 'no cgroup I/O throttling (v1 blkio or v2 io) to hold the replace open')) return;
  const w = await poolWorld(t, 2);
  const { lab, dataDir, token, disks, created, client } = w;
  let { daemon, api } = w;
  writeRealFiles(join(lab.dir, 'src'), 8e6);
  // Real files compress; this one does not, so the replace has bytes to copy.
  writeFileSync(join(lab.dir, 'src', 'random.bin'), seededBytes(12 << 20, 'resume'));
  const gen1 = await client.backup('src', 'files');
  const old = await diskOf(api, disks[1] as (typeof disks)[number]);
  assert.ok(created.members.some((m) => m.diskId === old.id));

  // An admin's choice (no flag on the disk), the failing-but-present path.
  const started = await api.json<SwapInfo>('POST', '/api/v1/swaps', { disk: old.id });
  assert.equal(started.reason, 'admin');
  await swapAction(api, started.id, 'confirm', { code: codeOf(old) });

  // A graceful restart while the swap waits for the new disk.
  assert.equal(await daemon.stop(), 0);
  daemon = await lab.daemon({ dataDir, env: POOL_TEST_ENV });
  api = daemon.client(token);
  const waiting = await api.json<SwapInfo>('GET', `/api/v1/swaps/${started.id}`);
  assert.equal(waiting.step, 'insert-new');
  assert.equal(waiting.state, 'waiting');

  const fresh = lab.disk('c');
  const newDisk = await diskOf(api, fresh);
  await waitFor('the new disk offered', 10_000, async () => {
    const s = await api.json<SwapInfo>('GET', `/api/v1/swaps/${started.id}`);
    return s.candidates.some((c) => c.diskId === newDisk.id) ? s : null;
  });
  // About 16 MB per member at 1 MiB/s: the replace runs for many seconds (lifted once resumed).
  lab.throttleWrites(fresh.dev, 1 << 20, throttle as NonNullable<typeof throttle>);
  await swapAction(api, started.id, 'confirm', { code: codeOf(newDisk) });
  const running = await followSwap(api, started.id, (s) => s.step === 'rebuilding' && (s.progress?.message ?? '').startsWith('copying onto '), 60_000);
  const firstTask = running.last.taskId as string;

  // SIGKILL: no shutdown code runs at all.
  await daemon.stop('SIGKILL');
  const mount = join(dataDir, 'pool');
  const kernel = execFileSync('btrfs', ['replace', 'status', '-1', mount], { encoding: 'utf8' }).trim();
  assert.match(kernel, /% done/, `the kernel's replace goes on without havend: ${kernel}`);
  t.diagnostic(`killed havend with the replace at: ${kernel}`);

  daemon = await lab.daemon({ dataDir, env: POOL_TEST_ENV });
  api = daemon.client(token);
  client.retarget(daemon);
  const resumed = await api.json<SwapInfo>('GET', `/api/v1/swaps/${started.id}`);
  assert.equal(resumed.step, 'rebuilding');
  assert.equal(resumed.state, 'working');
  const trace = await followSwap(api, started.id, (s) => s.taskId !== firstTask && (s.progress?.message ?? '').startsWith('copying onto '), 30_000);
  t.diagnostic(`resumed by task ${trace.last.taskId}, following: ${trace.last.progress?.message}`);
  const interrupted = await api.json<TaskInfo>('GET', `/api/v1/tasks/${firstTask}`);
  assert.equal(interrupted.status, 'interrupted');
  lab.unthrottle();

  await followSwap(api, started.id, (s) => s.step === 'remove-old', 120_000, trace);
  lab.detach(disks[1] as (typeof disks)[number]);
  await followSwap(api, started.id, (s) => s.step === 'done', 30_000, trace);
  t.diagnostic(`steps: ${trace.steps.join(' -> ')}`);
  assert.deepEqual(trace.last.results.verify?.problems, []);
  const resumedTask = await api.json<TaskInfo>('GET', `/api/v1/tasks/${trace.last.taskId}`);
  assert.equal(resumedTask.status, 'succeeded');
  assert.ok(resumedTask.log.some((l) => /following the replace already running/.test(l.message)), 'the new havend followed the running replace rather than starting another');
  const pool = await poolStatus(api);
  assert.equal(pool.health, 'healthy', pool.summary);
  assert.deepEqual(pool.members.map((m) => m.diskId).sort(), [created.members.find((m) => m.diskId !== old.id)?.diskId, newDisk.id].sort());
  await client.restoresExactly(gen1, 'src');
});

test('cancel in the middle of the replace: the pool is as it was, the new disk released', async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const throttle = throttleSupport();
  if (!need(t, throttle !== null, 'no cgroup I/O throttling (v1 blkio or v2 io) to hold the replace open')) return;
  const { lab, dataDir, api, disks, created, client } = await poolWorld(t, 2);
  mkdirSync(join(lab.dir, 'src'));
  writeFileSync(join(lab.dir, 'src', 'random.bin'), seededBytes(12 << 20, 'cancel'));
  const gen1 = await client.backup('src', 'files');
  const old = await diskOf(api, disks[1] as (typeof disks)[number]);
  const swap = await api.json<SwapInfo>('POST', '/api/v1/swaps', { disk: old.id });
  await swapAction(api, swap.id, 'confirm', { code: codeOf(old) });
  const fresh = lab.disk('c');
  const newDisk = await diskOf(api, fresh);
  lab.throttleWrites(fresh.dev, 1 << 20, throttle as NonNullable<typeof throttle>);
  await swapAction(api, swap.id, 'confirm', { code: codeOf(newDisk) });
  await followSwap(api, swap.id, (s) => (s.progress?.message ?? '').startsWith('copying onto '), 60_000);

  const cancelled = await swapAction(api, swap.id, 'cancel');
  assert.equal(cancelled.step, 'cancelled');
  assert.equal(cancelled.state, 'finished');
  assert.match(execFileSync('btrfs', ['replace', 'status', '-1', join(dataDir, 'pool')], { encoding: 'utf8' }), /canceled/);
  const task = await api.json<TaskInfo>('GET', `/api/v1/tasks/${cancelled.taskId}`);
  assert.equal(task.status, 'cancelled');
  lab.unthrottle();
  const pool = await poolStatus(api);
  assert.equal(pool.health, 'healthy', pool.summary);
  assert.deepEqual(pool.members.map((m) => m.diskId).sort(), created.members.map((m) => m.diskId).sort(), 'the same members as before');
  assert.equal((await diskOf(api, fresh)).role, 'unassigned', 'the new disk is released');
  assert.equal((await diskOf(api, disks[1] as (typeof disks)[number])).role, 'pool-member');
  // and another swap can start afterwards
  const again = await api.json<SwapInfo>('POST', '/api/v1/swaps', { disk: old.id });
  assert.equal(again.step, 'locate');
  await swapAction(api, again.id, 'cancel');
  await client.restoresExactly(gen1, 'src');
});

test('cancel while btrfs replace start prepares the new disk: it is stopped, no replace follows, the disk released', async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const throttle = throttleSupport();
  if (!need(t, throttle !== null, 'no cgroup I/O throttling (v1 blkio or v2 io) to hold the preparation open')) return;
  const { lab, api, daemon, disks, created, client, mount, gen } = await swapWorld(t, 'cancel-prepare');
  const { id, fresh, newDisk } = await swapOntoNewDisk(api, lab, disks[1] as (typeof disks)[number], 'c');
  // btrfs-progs zeroes ~4 MiB of the target before its ioctl: ~16 s at this rate.
  lab.throttleWrites(fresh.dev, 256 << 10, throttle as NonNullable<typeof throttle>);
  await swapAction(api, id, 'confirm', { code: codeOf(newDisk) });
  const starter = await waitFor('havend to run btrfs replace start', 60_000, async () => replaceStarter(mount, daemon.proc.pid as number));

  const asked = Date.now();
  const cancelled = await swapAction(api, id, 'cancel');
  t.diagnostic(`cancelled ${Date.now() - asked} ms after asking, btrfs replace start (pid ${starter}) ${alive(starter) ? 'still alive' : 'gone'}`);
  assert.equal(cancelled.step, 'cancelled');
  assert.equal(alive(starter), false, 'the preparation was stopped, not left to start a replace');
  // Unthrottled, a preparation left alive would reach the kernel within moments.
  lab.unthrottle();
  await new Promise((r) => setTimeout(r, 3000));
  const kernel = execFileSync('btrfs', ['replace', 'status', '-1', mount], { encoding: 'utf8' }).trim();
  assert.match(kernel, /^Never started/, `no replace followed the cancel: ${kernel}`);
  const pool = await poolStatus(api);
  assert.equal(pool.health, 'healthy', pool.summary);
  assert.deepEqual(pool.members.map((m) => m.diskId).sort(), created.members.map((m) => m.diskId).sort(), 'the same members as before');
  assert.equal((await diskOf(api, fresh)).role, 'unassigned', 'the new disk is released');
  await client.restoresExactly(gen, 'src');
});
