// System test (root, real btrfs on loop devices), issue 17's fault matrix: havend SIGKILLed at
// random moments within a disk swap's rebuild (the appliance's work from the new disk's
// confirmation to the old disk's removal: wipe, `btrfs replace`, scrub, datastore
// verification). A first swap runs undisturbed and measures that span; each later swap is
// killed at moments drawn from within it, and the daemon is restarted at once, as the unit's
// Restart=on-failure would (after its RestartSec). The new disk's writes are throttled
// (cgroup I/O limits), so the replace lasts seconds with no hook in the product.
//
// After each kill: the state the kill left checks clean offline (`store check`), the restarted
// daemon finds the swap at a working step or past it, never failed, and lists every committed
// snapshot unchanged. After each swap: it completes, its scrub and verification found nothing,
// the pool is healthy with the new member, and the snapshot restores bit-exact. At the end an
// independent `btrfs scrub` is clean and so is the store check. 2 kills in `npm test`, 20
// under HAVEN_RELIABILITY=1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { ApiClient } from '../../client/src/api/api-client.js';
import type { SwapInfo } from '../../core/src/api/swap.js';
import { havend } from '../helpers/daemon.js';
import { KillLog, RELIABILITY, killCount, killMomentMs, measured } from '../helpers/kill-plan.js';
import { throttleSupport, type LoopDisk } from '../helpers/pool-lab.js';
import {
  POOL_TEST_ENV, codeOf, followSwap, swapAction, swapCompletes, swapOntoNewDisk, swapWorld,
} from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

const KILLS = killCount(2);
/** Kills aimed at one swap: a restart takes a while, so more would crowd each other out. */
const PER_SWAP = 2;
/** The new disk's write rate: the replace of ~12 MB per member lasts seconds. */
const THROTTLE_BYTES_PER_SECOND = 2 << 20;
const WORKING = new Set(['rebuilding', 'scrubbing', 'verifying']);
/**
 * A restart in the middle of a throttled replace waits for the file system's commits (they
 * write to the new disk too): bounded here by 2 minutes, within the unit's TimeoutStartSec.
 */
const RESTART_LIMIT_MS = 120_000;

test(`havend SIGKILLed ${KILLS} times within disk swaps' rebuilds: each swap resumes and completes, the data intact`, { timeout: RELIABILITY ? 3_600_000 : 600_000 }, async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const throttle = throttleSupport();
  if (!need(t, throttle !== null, 'no cgroup I/O throttling (v1 blkio or v2 io) to hold the replace open')) return;
  const w = await swapWorld(t, 'swap-kill');
  const { lab, dataDir, token, client, mount, gen } = w;
  let { daemon, api } = w;
  const listed = async (a: ApiClient): Promise<string> => JSON.stringify((await a.snapshots('files')).snapshots);
  const snapshots = await listed(api);
  const log = new KillLog('swap rebuild');
  const members: LoopDisk[] = [...w.disks];
  let disksMade = 0;

  /** Replaces the pool's second member with a new disk, killing havend at `moments` (ms after the confirmation); the rebuild's duration. */
  const swap = async (moments: number[], windowMs: number): Promise<number> => {
    const oldDisk = members[1] as LoopDisk;
    const { id, fresh, newDisk } = await swapOntoNewDisk(api, lab, oldDisk, `n${++disksMade}`);
    lab.throttleWrites(fresh.dev, THROTTLE_BYTES_PER_SECOND, throttle as NonNullable<typeof throttle>);
    const confirmed = Date.now();
    await swapAction(api, id, 'confirm', { code: codeOf(newDisk) });

    for (const moment of moments) {
      const wait = moment - (Date.now() - confirmed);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const before = await api.json<SwapInfo>('GET', `/api/v1/swaps/${id}`);
      // A kill counts when it lands in the rebuild; past it (restarts are slow) the rest wait for the next swap.
      if (!WORKING.has(before.step)) break;
      await daemon.stop('SIGKILL');
      const atMs = Date.now() - confirmed;
      const kernel = execFileSync('btrfs', ['replace', 'status', '-1', mount], { encoding: 'utf8' }).trim();
      const check = havend(['store', 'check', '--data', dataDir]);
      assert.equal(check.code, 0, `kill at ${atMs} ms (${before.step}): ${check.stdout}${check.stderr}`);

      const restart = await measured(() => lab.daemon({ dataDir, env: POOL_TEST_ENV, startTimeoutMs: RESTART_LIMIT_MS }));
      daemon = restart.value;
      api = daemon.client(token);
      client.retarget(daemon);
      const after = await api.json<SwapInfo>('GET', `/api/v1/swaps/${id}`);
      assert.ok(WORKING.has(after.step) || after.step === 'remove-old', `after the kill the swap is at ${after.step}`);
      assert.notEqual(after.state, 'failed', `the swap failed after the kill: ${after.error?.message}`);
      assert.equal(await listed(api), snapshots, 'every committed snapshot is listed unchanged');
      log.add({
        atMs, windowMs, outcome: `killed while ${before.step}, resumed at ${after.step}`, restartMs: restart.ms,
        detail: `${before.progress?.message ?? ''}; kernel: ${kernel}`,
      });
    }

    const trace = await followSwap(api, id, (s) => s.step === 'remove-old', 300_000);
    const rebuildMs = Date.now() - confirmed;
    lab.unthrottle();
    await swapCompletes(api, lab, id, trace, { old: oldDisk, kept: members[0] as LoopDisk, newDiskId: newDisk.id });
    members[1] = fresh;
    await client.restoresExactly(gen, 'src');
    assert.equal(await listed(api), snapshots);
    return rebuildMs;
  };

  const windowMs = await swap([], 0);
  t.diagnostic(`undisturbed rebuild (wipe, replace, scrub, verify): ${windowMs} ms`);
  for (let swaps = 0; log.kills.length < KILLS && swaps < KILLS; swaps++) {
    const moments = Array.from({ length: Math.min(PER_SWAP, KILLS - log.kills.length) }, () => killMomentMs(windowMs)).sort((a, b) => a - b);
    await swap(moments, windowMs);
  }
  assert.ok(log.kills.length >= KILLS, `only ${log.kills.length} kills landed within a rebuild`);

  log.report(t);
  const scrub = execFileSync('btrfs', ['scrub', 'start', '-B', mount], { encoding: 'utf8' });
  assert.match(scrub, /no errors found/, scrub);
  assert.equal(await daemon.stop(), 0);
  // The daemon unmounted the pool on its way out: mounted again by hand for the offline check.
  execFileSync('mount', [(members[0] as LoopDisk).dev, mount]);
  const check = havend(['store', 'check', '--data', dataDir]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  t.diagnostic(`${check.stdout.split('\n')[0]}; scrub: ${scrub.split('\n').filter((l) => /Total to scrub|Error summary/.test(l)).map((l) => l.trim()).join('; ')}`);
});
