// SIGKILL havend while a prune applies a retention policy (issue 17's fault matrix): the
// prune deletes snapshots one tombstone at a time, and a kill lands between, during or after
// those deletions (3 kills in `npm test`, 20 under HAVEN_RELIABILITY=1: `npm run
// reliability`). Each round backs up a batch of snapshots, asks the policy which it keeps,
// starts the prune and kills the daemon at a moment drawn from within an undisturbed prune of
// the same size measured first. After each kill: the store check of the killed state is
// clean; after the restart every snapshot the policy keeps is listed, nothing outside the
// group's snapshots appeared, every listed snapshot reads back whole and bit-exact (a
// snapshot is fully there or fully gone, never listed but broken), and a rerun of the prune
// leaves exactly the snapshots the policy keeps.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { ApiClient } from '../../client/src/api/api-client.js';
import type { PreviewResponse, PruneResponse } from '../../core/src/api/retention.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { createToken, havend, startDaemon, type Daemon } from '../helpers/daemon.js';
import { KillLog, killCount, killMomentMs, measured, RELIABILITY } from '../helpers/kill-plan.js';
import { makeObject } from '../helpers/objects.js';
import { verifySnapshot } from '../helpers/readback.js';
import { tempDir } from '../helpers/tmp.js';
import { GC_TEST_ENV, mixedBackup, pushBackup } from '../gc/gc-daemon.js';

const GROUP = 'pk';
const KILLS = killCount(3, 20);
/** Snapshots backed up before each prune; the policy keeps the newest KEEP of the group. */
const BATCH = 12;
const KEEP = 2;

test(`SIGKILL during prune: ${KILLS} kills timed within a measured prune of ${BATCH} snapshots`, { timeout: RELIABILITY ? 1_200_000 : 180_000 }, async (t) => {
  const dataDir = tempDir(t);
  const backupToken = createToken(dataDir, `backup:${GROUP}`);
  const adminToken = createToken(dataDir, 'admin');
  const env = GC_TEST_ENV;
  const shared = Array.from({ length: 2 }, () => makeObject(ObjectKind.data, randomBytes(20_000)));
  let tag = 0;
  let d: Daemon = await startDaemon(null, { dataDir, env });
  t.after(() => d.stop('SIGKILL'));
  const api = (): ApiClient => d.client(backupToken);
  const admin = (): ApiClient => d.client(adminToken);
  const listed = async (): Promise<string[]> => (await api().snapshots(GROUP)).snapshots.map((s) => s.id).sort();
  const backUpBatch = async (): Promise<void> => {
    for (let i = 0; i < BATCH; i++) await pushBackup(api(), GROUP, mixedBackup(tag++, shared, 2));
  };
  const prune = () => admin().json<PruneResponse>('POST', '/api/v1/prune', { group: GROUP });
  await admin().json('PUT', `/api/v1/retention/${GROUP}`, { keepLast: KEEP });

  await backUpBatch();
  const undisturbed = await measured(prune);
  assert.equal(undisturbed.value.summary.removed, BATCH - KEEP, 'the undisturbed prune removes all but the newest');
  const windowMs = undisturbed.ms;
  t.diagnostic(`undisturbed prune of ${BATCH} snapshots (removing ${BATCH - KEEP}): ${windowMs} ms`);

  const log = new KillLog('prune');
  let verified = 0;
  for (let kill = 1; kill <= KILLS; kill++) {
    await backUpBatch();
    const decided = (await admin().json<PreviewResponse>('POST', `/api/v1/retention/${GROUP}/preview`, {})).snapshots;
    const kept = decided.filter((s) => s.keep).map((s) => s.id).sort();
    const doomed = decided.filter((s) => !s.keep).map((s) => s.id);
    assert.equal(doomed.length, BATCH, `round ${kill}: the policy removes the batch's older snapshots`);

    const atMs = killMomentMs(windowMs);
    const began = Date.now();
    const answered = prune().then(() => true, () => false);
    await new Promise((r) => setTimeout(r, atMs));
    d.proc.kill('SIGKILL');
    await once(d.proc, 'exit');
    const killedAt = Date.now() - began;
    const finishedFirst = await answered;

    // the state the kill left, before any recovery
    const check = havend(['store', 'check', '--data', dataDir], env);
    assert.equal(check.code, 0, `kill ${kill}: store check of the killed state: ${check.stdout}${check.stderr}`);

    const restart = await measured(() => startDaemon(null, { dataDir, env }));
    d = restart.value;
    const after = await listed();
    for (const id of kept) assert.ok(after.includes(id), `kill ${kill}: snapshot ${id}, kept by the policy, is listed`);
    for (const id of after) assert.ok(decided.some((s) => s.id === id), `kill ${kill}: ${id} is one of the group's snapshots`);
    for (const id of after) verified += await verifySnapshot(api(), id);
    const removed = doomed.filter((id) => !after.includes(id)).length;

    const rerun = await prune();
    assert.equal(rerun.summary.removed, BATCH - removed, `kill ${kill}: the rerun removes what the cut prune left`);
    assert.deepEqual(await listed(), kept, `kill ${kill}: after the rerun the group holds what the policy keeps`);
    const outcome = finishedFirst ? 'finished first' : removed === 0 ? 'before the first deletion' : removed === BATCH ? 'after the last deletion' : 'between deletions';
    log.add({ atMs: killedAt, windowMs, outcome, restartMs: restart.ms, detail: `${removed} of ${BATCH} removed before the kill` });
  }
  log.report(t);

  await d.stop();
  const check = havend(['store', 'check', '--data', dataDir], env);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  t.diagnostic(`${KILLS * BATCH + BATCH} snapshots pruned in all; ${(verified / 1048576).toFixed(1)} MiB read back bit-exact after the kills; ${check.stdout.split('\n')[0]}`);
});
