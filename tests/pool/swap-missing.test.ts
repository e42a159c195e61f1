// System test (root, real btrfs on loop devices): a member of a three-disk raid1 disappears
// (its loop device detached while havend is stopped). The restarted havend mounts the pool
// degraded on purpose and raises the alert; a backup still goes in; the swap workflow, driven
// through the API step by step, replaces the missing devid on a new loop disk (its writes
// throttled so the rebuild's progress is seen, on the live WebSocket the admin UI reads),
// scrubs and verifies; the pool is healthy, the alert cleared, and every snapshot restores
// bit-exact.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiskRecord } from '../../core/src/api/disks.js';
import type { SwapInfo } from '../../core/src/api/swap.js';
import { throttleSupport } from '../helpers/pool-lab.js';
import {
  POOL_TEST_ENV, codeOf, diskOf, followSwap, havendCli, openAlerts, poolStatus, poolWorld, recordLive, refusal, swapAction, waitFor,
  writeRealFiles,
} from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

test('a member disappears: degraded mount, alert, swap onto a new disk through the API, healthy, bit-exact', async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const throttle = throttleSupport();
  if (!need(t, throttle !== null, 'no cgroup I/O throttling (v1 blkio or v2 io) to slow the rebuild down')) return;
  const w = await poolWorld(t, 3);
  const { lab, dataDir, token, disks, created, client } = w;
  let { daemon, api } = w;
  writeRealFiles(join(lab.dir, 'src'), 16e6);
  const gen1 = await client.backup('src', 'files');
  const lost = (await diskOf(api, disks[1] as (typeof disks)[number])) as DiskRecord;
  const lostDevid = created.members.find((m) => m.diskId === lost.id)?.devid as number;

  // The disk disappears while havend is down; the next start mounts degraded on purpose.
  assert.equal(await daemon.stop(), 0);
  lab.detach(disks[1] as (typeof disks)[number]);
  daemon = await lab.daemon({ dataDir, env: POOL_TEST_ENV });
  api = daemon.client(token);
  client.retarget(daemon);
  const live = await recordLive(daemon, token);
  t.after(() => live.close());
  assert.equal(live.state.pool?.health, 'degraded', 'the live state carries the pool');
  const degraded = await poolStatus(api);
  assert.equal(degraded.health, 'degraded', degraded.summary);
  assert.equal(degraded.degradedMount, true);
  assert.deepEqual(degraded.members.filter((m) => m.missing).map((m) => [m.devid, m.diskId, m.flags]), [[lostDevid, lost.id, ['missing']]]);
  assert.match(degraded.summary, /replace the missing disk with the disk swap/);
  const alert = await waitFor('the degraded alert', 5000, async () => (await openAlerts(api)).find((a) => a.key === 'pool.degraded:haven') ?? null);
  assert.equal(alert.severity, 'critical');
  writeFileSync(join(lab.dir, 'src', 'written-while-degraded.txt'), 'the pool kept taking backups\n'.repeat(1000));
  const gen2 = await client.backup('src', 'files');

  // The swap, as the UI walks it.
  const started = await api.json<SwapInfo>('POST', '/api/v1/swaps', { devid: lostDevid });
  assert.equal(started.path, 'missing');
  assert.equal(started.reason, 'missing');
  assert.equal(started.step, 'locate');
  assert.equal(started.state, 'waiting');
  assert.deepEqual(started.allowed, ['confirm', 'cancel']);
  assert.equal(started.locate?.method, 'none');
  assert.equal(started.old.confirmWith, 'disk id');
  assert.equal(await refusal(() => api.json('POST', '/api/v1/swaps', { devid: lostDevid })), 'SWAP_ACTIVE');
  assert.equal(await refusal(() => swapAction(api, started.id, 'confirm', { code: 'zzzz' })), 'SWAP_CODE_MISMATCH');
  const located = await swapAction(api, started.id, 'confirm', { code: codeOf(lost) });
  assert.equal(located.step, 'insert-new');

  const fresh = lab.disk('d');
  const newDisk = await diskOf(api, fresh);
  const offered = await waitFor('the new disk offered', 10_000, async () => {
    const s = await api.json<SwapInfo>('GET', `/api/v1/swaps/${started.id}`);
    return s.candidates.some((c) => c.diskId === newDisk.id) ? s : null;
  });
  assert.ok(offered.candidates.every((c) => c.diskId !== lost.id && !created.members.some((m) => m.diskId === c.diskId)), 'no pool member is offered');
  // Slow the new disk's writes so the rebuild runs long enough to be watched.
  // 2 MiB/s: the rebuild lasts several polls even on a loaded machine (at 4 MiB/s a busy CI run saw only 100%).
  lab.throttleWrites(fresh.dev, 2 << 20, throttle as NonNullable<typeof throttle>);
  const confirmed = await swapAction(api, started.id, 'confirm', { code: codeOf(newDisk), disk: newDisk.id });
  assert.equal(confirmed.step, 'rebuilding');
  assert.equal(confirmed.state, 'working');
  assert.deepEqual(confirmed.allowed, ['cancel']);

  const trace = await followSwap(api, started.id, (s) => s.step === 'scrubbing' || s.step === 'verifying' || s.step === 'done');
  lab.unthrottle();
  await followSwap(api, started.id, (s) => s.step === 'done', 120_000, trace);
  t.diagnostic(`steps: ${trace.steps.join(' -> ')}; rebuild progress seen: ${trace.rebuildFractions.map((f) => `${(f * 100).toFixed(1)}%`).join(', ')}`);
  assert.ok(trace.rebuildFractions.some((f) => f > 0 && f < 1), 'rebuild progress between 0 and 100% was observed');
  // The same, as events on the live WebSocket.
  const progress = live.events.flatMap((e) => (e.name === 'swap.progress' && e.data.id === started.id ? [e.data] : []));
  const copying = progress.filter((p) => p.step === 'rebuilding' && p.fraction !== null && p.fraction > 0 && p.fraction < 1);
  assert.ok(copying.length > 0, `swap.progress events during the rebuild: ${JSON.stringify(progress.slice(0, 5))}`);
  const stepsSeen = (): SwapInfo['step'][] => live.events.flatMap((e) => (e.name === 'swap.changed' && e.data.id === started.id ? [e.data.step] : []));
  await waitFor('swap.changed for done on the live socket', 5000, async () => (stepsSeen().includes('done') ? true : null));
  for (const step of ['insert-new', 'rebuilding', 'scrubbing', 'verifying', 'done']) assert.ok(stepsSeen().includes(step as SwapInfo['step']), `swap.changed for ${step}`);
  t.diagnostic(`live: ${progress.length} swap.progress events, ${copying.length} during the copy`);
  assert.ok(trace.messages.some((m) => /^copying onto /.test(m)));
  const done = trace.last;
  assert.equal(done.state, 'finished');
  assert.ok(done.results.replace && done.results.replace.seconds > 0);
  assert.equal(done.results.scrub?.counters.uncorrectableErrors, 0);
  assert.equal(done.results.verify?.snapshots, 2);
  assert.deepEqual(done.results.verify?.problems, []);
  assert.deepEqual(done.steps.map((s) => `${s.step}:${s.state}`), ['locate:done', 'insert-new:done', 'rebuilding:done', 'scrubbing:done', 'verifying:done', 'done:done']);

  const healthy = await waitFor('a healthy pool', 10_000, async () => {
    const s = await poolStatus(api);
    return s.health === 'healthy' ? s : null;
  });
  assert.equal(healthy.members.length, 3);
  assert.equal(healthy.members.find((m) => m.devid === lostDevid)?.diskId, newDisk.id);
  assert.equal(healthy.swap, null);
  await waitFor('the degraded alert cleared', 5000, async () => ((await openAlerts(api)).some((a) => a.key === 'pool.degraded:haven') ? null : true));
  await waitFor('alert.cleared and a healthy pool.changed on the live socket', 5000, async () =>
    (live.events.some((e) => e.name === 'alert.cleared' && e.data.key === 'pool.degraded:haven')
      && live.events.some((e) => e.name === 'pool.changed' && e.data.health === 'healthy') ? true : null));
  const roles = havendCli(['disks', '--data', dataDir, '--json']);
  const after = (JSON.parse(roles.stdout) as { disks: DiskRecord[] }).disks;
  assert.equal(after.find((d) => d.id === newDisk.id)?.role, 'pool-member');
  assert.equal(after.find((d) => d.id === lost.id)?.role, 'unassigned', 'the lost disk is released once the rebuild is verified');
  for (const gen of [gen1, gen2]) await client.restoresExactly(gen, 'src');
});
