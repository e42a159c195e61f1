// System test (root, real btrfs on loop devices): havend SIGKILLed while `btrfs replace start`
// prepares the new disk. btrfs-progs zeroes the target's ends before it asks the kernel for
// the replace; on a slow disk that takes seconds, and the kernel's status meanwhile is the
// last replace's ("Never started", or "finished" from the swap before). The new disk's
// writes are throttled (cgroup I/O limits) so that window lasts ~16 s, and the kill lands in
// it by watching for the process, with no hook in the product.
//
// Two ways the kill can leave the machine, one swap each:
// - the `btrfs replace start` lives on (a bare SIGKILL of havend, an OOM kill): the restarted
//   havend must follow it, not start a second one that would zero the target's ends again
//   while the kernel copies onto them, and not refuse the target the kernel has just taken;
// - it dies with havend (systemd's KillMode=mixed kills what is left of the unit): the
//   restarted havend starts the replace itself.
// Either way the swap completes, its scrub and verification find nothing, and the snapshot
// restores bit-exact.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import type { SwapInfo } from '../../core/src/api/swap.js';
import { throttleSupport, type LoopDisk } from '../helpers/pool-lab.js';
import {
  POOL_TEST_ENV, alive, codeOf, followSwap, replaceStarter, swapAction, swapCompletes, swapOntoNewDisk, swapWorld, waitFor,
} from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

/** btrfs-progs writes ~4 MiB to the target before its ioctl: ~16 s at this rate. */
const PREPARE_BYTES_PER_SECOND = 256 << 10;

test('havend SIGKILLed while btrfs prepares the replace target: the swap follows the survivor, or starts anew', { timeout: 600_000 }, async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const throttle = throttleSupport();
  if (!need(t, throttle !== null, 'no cgroup I/O throttling (v1 blkio or v2 io) to hold the preparation open')) return;
  const w = await swapWorld(t, 'swap-kill-start');
  const { lab, dataDir, token, client, mount, gen } = w;
  let { daemon, api } = w;
  const members: LoopDisk[] = [...w.disks];

  const swap = async (name: string, starterSurvives: boolean): Promise<void> => {
    const oldDisk = members[1] as LoopDisk;
    const { id, fresh, newDisk } = await swapOntoNewDisk(api, lab, oldDisk, name);
    lab.throttleWrites(fresh.dev, PREPARE_BYTES_PER_SECOND, throttle as NonNullable<typeof throttle>);
    const kernelBefore = execFileSync('btrfs', ['replace', 'status', '-1', mount], { encoding: 'utf8' }).trim();
    await swapAction(api, id, 'confirm', { code: codeOf(newDisk) });
    const havendPid = daemon.proc.pid as number;
    const starter = await waitFor('havend to run btrfs replace start', 60_000, async () => replaceStarter(mount, havendPid));
    const { taskId: firstTask, progress } = await api.json<SwapInfo>('GET', `/api/v1/swaps/${id}`);
    assert.equal(progress?.message, `btrfs is preparing ${fresh.dev}`, 'what the technician sees meanwhile');

    await daemon.stop('SIGKILL');
    if (!starterSurvives) {
      process.kill(starter, 'SIGKILL');
      await waitFor('the btrfs replace start to die', 30_000, async () => (alive(starter) ? null : true));
    }
    t.diagnostic(`${name}: havend killed while btrfs replace start (pid ${starter}) prepared ${fresh.dev}; it ${starterSurvives ? 'lives on' : 'was killed too'}; kernel status before: ${kernelBefore}`);

    daemon = await lab.daemon({ dataDir, env: POOL_TEST_ENV });
    api = daemon.client(token);
    client.retarget(daemon);
    const resumed = await followSwap(api, id, (s) => s.step === 'rebuilding' && s.state === 'working' && s.taskId !== firstTask, 30_000);
    const task = async (): Promise<TaskInfo> => api.json<TaskInfo>('GET', `/api/v1/tasks/${resumed.last.taskId}`);
    const expected = starterSurvives ? /still preparing the target: following it/ : /^btrfs replace start /;
    const decided = await waitFor('the resumed swap to decide', 30_000, async () => {
      const info = await task();
      return info.log.some((l) => expected.test(l.message) || /btrfs replace start|following|finished/.test(l.message)) ? info : null;
    });
    assert.ok(decided.log.some((l) => expected.test(l.message)), `the resumed swap's log: ${decided.log.map((l) => l.message).join(' | ')}`);
    if (starterSurvives) assert.ok(alive(starter), 'the surviving btrfs replace start was still preparing when the swap resumed');
    lab.unthrottle();

    const trace = await followSwap(api, id, (s) => s.step === 'remove-old', 300_000, resumed);
    const finished = await task();
    const starts = finished.log.filter((l) => /^btrfs replace start /.test(l.message)).length;
    assert.equal(starts, starterSurvives ? 0 : 1, `replace starts by the resumed swap: ${finished.log.map((l) => l.message).join(' | ')}`);
    await swapCompletes(api, lab, id, trace, { old: oldDisk, kept: members[0] as LoopDisk, newDiskId: newDisk.id });
    members[1] = fresh;
    await client.restoresExactly(gen, 'src');
  };

  // The first swap: the kernel has never replaced anything on this pool ("Never started").
  await swap('survivor', true);
  // The second: the kernel's status is the first swap's "finished" all through the preparation.
  await swap('killed', false);
});
