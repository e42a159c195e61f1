// System test (root, real btrfs on loop devices), issue 17's fault matrix: havend SIGKILLed
// in a disk swap's steps other than the rebuild (tests/pool/swap-kill.test.ts kills within
// that): while the technician's confirmation of the old disk is taken (locate), while the
// confirmation of the new disk is taken (insert-new, which starts the rebuild), and while the
// daemon notices the old disk pulled out (remove-old). A first swap runs undisturbed and
// measures each of those three moments; each later swap is killed once in each, at a moment
// drawn from within the measured one, and the daemon restarted at once (as the unit would).
//
// After each kill: the state the kill left checks clean offline (`store check`); the restarted
// daemon has the swap at the step it was at or the next one, never failed, and lists every
// committed snapshot unchanged; a confirmation the kill cut off can be given again. After each
// swap: it completes, the pool is healthy with the new member, the snapshot restores
// bit-exact. 3 kills (one swap) in `npm test`, 21 (seven swaps) under HAVEN_RELIABILITY=1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ApiClient } from '../../client/src/api/api-client.js';
import type { SwapInfo, SwapStep } from '../../core/src/api/swap.js';
import type { Daemon } from '../helpers/daemon.js';
import { havend } from '../helpers/daemon.js';
import { KillLog, RELIABILITY, killMomentMs, measured } from '../helpers/kill-plan.js';
import type { LoopDisk } from '../helpers/pool-lab.js';
import {
  POOL_TEST_ENV, codeOf, diskOf, followSwap, poolStatus, poolWorld, swapAction, waitFor, writeRealFiles,
} from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

const KILLED_SWAPS = RELIABILITY ? 7 : 1;
/** The moments measured in the undisturbed swap, each a window for one kill per later swap. */
type Moment = 'confirm old' | 'confirm new' | 'old pulled';

test(`havend SIGKILLed within a disk swap's confirmations and the old disk's removal: ${KILLED_SWAPS * 3} kills`, { timeout: RELIABILITY ? 3_600_000 : 600_000 }, async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const w = await poolWorld(t, 2);
  const { lab, dataDir, token, client } = w;
  let daemon: Daemon = w.daemon;
  let api: ApiClient = w.api;
  writeRealFiles(join(lab.dir, 'src'), 2e6);
  const gen = await client.backup('src', 'files');
  const listed = async (): Promise<string> => JSON.stringify((await api.snapshots('files')).snapshots);
  const snapshots = await listed();
  const log = new KillLog('swap step');
  const windows = new Map<Moment, number>();
  const members: LoopDisk[] = [...w.disks];
  let disksMade = 0;
  const swapOf = (id: string): Promise<SwapInfo> => api.json<SwapInfo>('GET', `/api/v1/swaps/${id}`);

  /**
   * Starts `action`, and unless this is the undisturbed swap kills havend at a moment within
   * its measured window; answers the swap as the (restarted) daemon has it afterwards.
   */
  const within = async (moment: Moment, id: string, killing: boolean, action: () => Promise<unknown>, done: (s: SwapInfo) => boolean, allowed: SwapStep[]): Promise<SwapInfo> => {
    if (!killing) {
      const m = await measured(async () => {
        await action();
        return followSwap(api, id, done, 300_000);
      });
      windows.set(moment, m.ms);
      return m.value.last;
    }
    const windowMs = windows.get(moment) as number;
    const before = await swapOf(id);
    const began = Date.now();
    const acted = action().then(() => true, () => false);
    await new Promise((r) => setTimeout(r, killMomentMs(windowMs)));
    await daemon.stop('SIGKILL');
    const atMs = Date.now() - began;
    const answered = await acted;
    const check = havend(['store', 'check', '--data', dataDir]);
    assert.equal(check.code, 0, `kill at ${moment}: ${check.stdout}${check.stderr}`);
    const restart = await measured(() => lab.daemon({ dataDir, env: POOL_TEST_ENV, startTimeoutMs: 120_000 }));
    daemon = restart.value;
    api = daemon.client(token);
    client.retarget(daemon);
    const after = await swapOf(id);
    assert.notEqual(after.state, 'failed', `the swap failed after the kill at ${moment}: ${after.error?.message}`);
    assert.ok(allowed.includes(after.step), `after the kill at ${moment} the swap is at ${after.step} (expected one of ${allowed.join(', ')})`);
    assert.equal(await listed(), snapshots, 'every committed snapshot is listed unchanged');
    log.add({
      atMs, windowMs, outcome: `${moment}: ${before.step} -> ${after.step}${after.step === before.step ? ' (to be done again)' : ''}`, restartMs: restart.ms,
      detail: answered ? 'the action was answered before the kill' : 'the action was cut off',
    });
    return after;
  };

  /** One swap of the pool's second member; kills in its three moments unless undisturbed. */
  const swap = async (killing: boolean): Promise<void> => {
    const oldDisk = members[1] as LoopDisk;
    const old = await diskOf(api, oldDisk);
    const started = await api.json<SwapInfo>('POST', '/api/v1/swaps', { disk: old.id });
    const id = started.id;
    assert.equal(started.step, 'locate');
    const confirmOld = (): Promise<SwapInfo> => swapAction(api, id, 'confirm', { code: codeOf(old) });
    let s = await within('confirm old', id, killing, confirmOld, (x) => x.step === 'insert-new', ['locate', 'insert-new']);
    if (s.step === 'locate') s = await confirmOld();
    assert.equal(s.step, 'insert-new');

    const fresh = lab.disk(`n${++disksMade}`);
    const newDisk = await diskOf(api, fresh);
    const offered = (): Promise<SwapInfo> => waitFor('the new disk offered', 10_000, async () => {
      const x = await swapOf(id);
      return x.candidates.some((c) => c.diskId === newDisk.id) ? x : null;
    });
    await offered();
    const confirmNew = (): Promise<SwapInfo> => swapAction(api, id, 'confirm', { code: codeOf(newDisk) });
    s = await within('confirm new', id, killing, confirmNew, (x) => x.step !== 'insert-new', ['insert-new', 'rebuilding', 'scrubbing', 'verifying', 'remove-old']);
    if (s.step === 'insert-new') {
      await offered();
      await confirmNew();
    }
    const rebuilt = await followSwap(api, id, (x) => x.step === 'remove-old', 300_000);
    assert.deepEqual(rebuilt.last.results.verify?.problems, []);

    const pull = async (): Promise<void> => lab.detach(oldDisk);
    s = await within('old pulled', id, killing, pull, (x) => x.step === 'done', ['remove-old', 'done']);
    if (s.step !== 'done') s = (await followSwap(api, id, (x) => x.step === 'done', 60_000)).last;
    const pool = await poolStatus(api);
    assert.equal(pool.health, 'healthy', pool.summary);
    assert.deepEqual(pool.members.map((m) => m.diskId).sort(), [(await diskOf(api, members[0] as LoopDisk)).id, newDisk.id].sort());
    members[1] = fresh;
    await client.restoresExactly(gen, 'src');
    assert.equal(await listed(), snapshots);
  };

  await swap(false);
  t.diagnostic(`undisturbed swap: ${[...windows].map(([m, ms]) => `${m} ${ms} ms`).join(', ')}`);
  for (let i = 0; i < KILLED_SWAPS; i++) await swap(true);
  log.report(t);
  assert.equal(await daemon.stop(), 0);
  // The daemon unmounted the pool on its way out: mounted again by hand for the offline check.
  execFileSync('mount', [(members[0] as LoopDisk).dev, join(dataDir, 'pool')]);
  const check = havend(['store', 'check', '--data', dataDir]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  t.diagnostic(check.stdout.split('\n')[0] ?? '');
});
