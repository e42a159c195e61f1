// System test (root, real btrfs on loop devices): one member of a two-disk raid1 turns
// SMART-failing (a real failing drive's capture replayed for it: loop devices have no SMART)
// and is replaced through the workflow while it is still attached: located by its activity
// light, the new disk inserted beside it and confirmed, `btrfs replace -r` onto it while the
// old one serves, scrub, verify, then the old disk pulled. Removing a disk from the two-disk
// raid1 is refused on the way. Afterwards the pool is healthy and every snapshot restores
// bit-exact. The swap is walked with `havend swap` (the admin CLI) this time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SwapInfo } from '../../core/src/api/swap.js';
import {
  codeOf, diskOf, followSwap, havendCli, poolStatus, poolWorld, refusal, waitFor, writeRealFiles,
} from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

const FAILING = fileURLToPath(new URL('../../../../shared/fixtures/smart/ata-hdd-seagate-st3500418as-realloc304.json', import.meta.url));

test('a failing but present member of a two-disk raid1 is replaced while attached; healthy, bit-exact', async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const captures = mkdtempSync(join(tmpdir(), 'haven-captures-'));
  t.after(() => rmSync(captures, { recursive: true, force: true }));
  const { lab, dataDir, api, disks, created, client } = await poolWorld(t, 2, { HAVEND_DISKS_SMART_REPLAY_DIR: captures, HAVEND_DISKS_SMART_POLL_SECONDS: '1' });
  assert.equal(created.members.length, 2);
  writeRealFiles(join(lab.dir, 'src'), 16e6);
  const gen1 = await client.backup('src', 'files');

  const [a, b] = await Promise.all(disks.map((d) => diskOf(api, d)));
  const failing = b as NonNullable<typeof b>;
  const devid = created.members.find((m) => m.diskId === failing.id)?.devid as number;
  // A guard rail on the way: the two-disk raid1 cannot lose a member.
  assert.equal(await refusal(() => api.json('DELETE', `/api/v1/pool/devices/${devid}`)), 'POOL_BELOW_REDUNDANCY');
  const cli = havendCli(['pool', 'remove', String(devid), '--data', dataDir]);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /POOL_BELOW_REDUNDANCY/);

  // Its SMART turns failing: the pool flags the member.
  copyFileSync(FAILING, join(captures, 'tmp'));
  renameSync(join(captures, 'tmp'), join(captures, `${failing.id}.json`));
  const flagged = await waitFor('the member flagged smart-failing', 15_000, async () => {
    const s = await poolStatus(api);
    return s.members.find((m) => m.devid === devid)?.flags.includes('smart-failing') ? s : null;
  });
  assert.equal(flagged.health, 'healthy', 'btrfs itself has seen nothing wrong yet');

  // This one is walked with the admin CLI, through the control socket.
  const swapCli = (args: string[]): SwapInfo => {
    const r = havendCli(['swap', ...args, '--data', dataDir, '--json']);
    assert.equal(r.code, 0, `havend swap ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as SwapInfo;
  };
  const started = swapCli(['start', '--disk', failing.devicePath as string]);
  assert.equal(started.path, 'present');
  assert.equal(started.reason, 'smart');
  assert.equal(started.locate?.method, 'activity', 'no LED on a loop device: its activity light blinks instead');
  assert.equal(started.locate?.active, true);
  assert.equal(started.old.present, true);
  const wrong = havendCli(['swap', 'confirm', 'zzzz', '--data', dataDir]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /SWAP_CODE_MISMATCH/);
  assert.equal(swapCli(['confirm', codeOf(failing)]).step, 'insert-new');
  const fresh = lab.disk('c');
  const newDisk = await diskOf(api, fresh);
  await waitFor('the new disk offered', 10_000, async () => {
    const s = await api.json<SwapInfo>('GET', `/api/v1/swaps/${started.id}`);
    return s.candidates.some((c) => c.diskId === newDisk.id) ? s : null;
  });
  const text = havendCli(['swap', 'status', '--data', dataDir]);
  assert.match(text.stdout, /step 2\/7 insert-new \(waiting\)/);
  assert.match(text.stdout, new RegExp(`candidate: .*disk ${newDisk.id}`));
  const confirmed = swapCli(['confirm', codeOf(newDisk)]);
  assert.equal(confirmed.step, 'rebuilding');
  assert.equal(confirmed.new?.diskId, newDisk.id);

  // The old disk stays attached (and in the pool) until the replace is done.
  const trace = await followSwap(api, started.id, (s) => s.step === 'remove-old');
  const atRemove = trace.last;
  assert.equal(atRemove.state, 'waiting');
  assert.equal(atRemove.old.present, true, 'the old disk is still attached after the rebuild');
  assert.equal(atRemove.locate?.method, 'activity');
  assert.deepEqual(atRemove.results.verify?.problems, []);
  const during = await poolStatus(api);
  assert.equal(during.health, 'healthy', during.summary);
  assert.deepEqual(during.members.map((m) => m.diskId).sort(), [a?.id, newDisk.id].sort());

  // The technician pulls the old disk: the step ends by itself.
  lab.detach(disks[1] as (typeof disks)[number]);
  await followSwap(api, started.id, (s) => s.step === 'done', 30_000, trace);
  t.diagnostic(`steps: ${trace.steps.join(' -> ')}`);
  assert.deepEqual(trace.last.steps.map((s) => `${s.step}:${s.state}`), [
    'locate:done', 'insert-new:done', 'rebuilding:done', 'scrubbing:done', 'verifying:done', 'remove-old:done', 'done:done',
  ]);
  const healthy = await poolStatus(api);
  assert.equal(healthy.health, 'healthy');
  assert.equal(healthy.members.length, 2);
  assert.ok(healthy.members.every((m) => m.flags.length === 0));
  await client.restoresExactly(gen1, 'src');
});
