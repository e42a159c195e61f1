// SIGKILL havend while a recovery drill runs (issue 17's fault matrix): each round measures an
// undisturbed drill (which must pass: the drill after a kill succeeds), starts another and
// kills the daemon at a moment drawn from within the measured duration, checks the state the
// kill left offline (`store check` clean), then restarts it at once, as the unit's
// Restart=on-failure would (after its RestartSec). After each restart: the drill's task is
// `interrupted`, not running; the drill is in the history as failed ("interrupted") unless it
// had finished first; its token is revoked and its scratch area gone; every snapshot is
// listed unchanged. At the end no drill hold is left in the datastore, every snapshot reads
// back bit-exact and the store check is clean. 2 kills in `npm test`, 20 under
// HAVEN_RELIABILITY=1.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { ApiClient } from '../../client/src/api/api-client.js';
import type { DrillStartResponse, DrillStatus } from '../../core/src/api/drills.js';
import type { AlertInfo, TaskInfo } from '../../core/src/api/jobs.js';
import { createToken, havend, startDaemon, type Daemon } from '../helpers/daemon.js';
import { openDatastore } from '../helpers/datastore.js';
import { haven } from '../helpers/haven-cli.js';
import { KillLog, RELIABILITY, killCount, killMomentMs, measured } from '../helpers/kill-plan.js';
import { taskEnd } from '../helpers/pool-scenario.js';
import { verifySnapshot } from '../helpers/readback.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'web';
const KILLS = killCount(2);
/** Enough to restore that a drill takes a measurable while: two snapshots of 16 files of 1 MiB. */
const FILES = 16;
const FILE_BYTES = 1 << 20;
const ENV = { HAVEND_DATASTORE_DIRECT_IO: 'false' };

async function drillStatus(api: ApiClient): Promise<DrillStatus> {
  return api.json<DrillStatus>('GET', '/api/v1/drills');
}

async function startDrill(api: ApiClient): Promise<string> {
  const r = await api.json<DrillStartResponse>('POST', `/api/v1/drills/${GROUP}`);
  assert.equal(r.alreadyRunning, false, 'no drill left running from before');
  return r.task.id;
}

test(`SIGKILL during a recovery drill, ${KILLS} times: the drill is recorded as interrupted, nothing it took is left, the next drill passes`, { timeout: RELIABILITY ? 1_200_000 : 180_000 }, async (t) => {
  const dataDir = tempDir(t);
  const home = tempDir(t, 'haven-home-');
  const work = tempDir(t);
  const token = createToken(dataDir, 'admin');
  const scratch = join(dataDir, 'drills');
  let d: Daemon = await startDaemon(t, { dataDir, env: ENV });
  let api = d.client(token);
  const client = (args: string[]): ReturnType<typeof haven> => haven(args, {
    cwd: work, env: { HAVEN_SERVER: d.url, HAVEN_TOKEN: token, HAVEN_CACHE_DIR: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config'), HOME: home },
  });
  mkdirSync(join(work, 'data', 'sub'), { recursive: true });
  for (let i = 0; i < FILES; i++) writeFileSync(join(work, 'data', i % 4 === 0 ? 'sub' : '', `f${i}.bin`), seededBytes(FILE_BYTES, `f${i}`));
  for (const gen of [1, 2]) {
    if (gen === 2) for (let i = 0; i < FILES; i += 3) writeFileSync(join(work, 'data', i % 4 === 0 ? 'sub' : '', `f${i}.bin`), seededBytes(FILE_BYTES, `f${i} changed`));
    const b = await client(['backup', '--group', GROUP, 'data', '--json']);
    assert.equal(b.code, 0, b.stderr);
  }
  const snapshots = JSON.stringify((await api.snapshots(GROUP)).snapshots);
  const log = new KillLog('drill');

  /** A drill left alone: it passes; returns its duration. */
  const undisturbedDrill = async (): Promise<number> => {
    const run = await measured(async () => taskEnd(api, await startDrill(api), 120_000));
    assert.equal(run.value.status, 'succeeded', JSON.stringify(run.value.log.slice(-3)));
    assert.equal((await drillStatus(api)).history[0]?.result, 'passed');
    assert.ok(!(await openDrillAlerts(api)).length, 'a passing drill clears the alert of an interrupted one');
    return run.ms;
  };

  for (let k = 0; k < KILLS; k++) {
    const windowMs = await undisturbedDrill();
    const started = Date.now();
    const task = await startDrill(api);
    const atMs = killMomentMs(windowMs);
    await sleep(Math.max(0, atMs - (Date.now() - started)));
    const seen = await api.json<TaskInfo>('GET', `/api/v1/tasks/${task}`).catch(() => null);
    await d.stop('SIGKILL');
    const killedAt = Date.now() - started;

    // the state the kill left, before any recovery
    const check = havend(['store', 'check', '--data', dataDir]);
    assert.equal(check.code, 0, `kill ${k + 1}: ${check.stdout}${check.stderr}`);

    const restart = await measured(() => startDaemon(t, { dataDir, env: ENV }));
    d = restart.value;
    api = d.client(token);
    const status = await drillStatus(api);
    assert.equal(status.running, null, 'no drill is running after the restart');
    const taskAfter = await api.json<TaskInfo>('GET', `/api/v1/tasks/${task}`);
    const recorded = status.history.find((r) => r.task === task);
    let outcome: string;
    if (recorded?.result === 'passed') {
      outcome = 'finished first';
    } else {
      assert.equal(taskAfter.status, 'interrupted', `kill ${k + 1}: the drill's task`);
      assert.ok(recorded, `kill ${k + 1}: the interrupted drill is in the history`);
      assert.equal(recorded.result, 'failed');
      assert.match(recorded.error ?? '', /interrupted/);
      assert.ok((await openDrillAlerts(api)).length === 1, 'the interrupted drill raised its alert');
      outcome = 'interrupted';
    }
    assert.doesNotMatch(havend(['token', 'list', '--data', dataDir]).stdout, /drill/, `kill ${k + 1}: the drill's token is revoked`);
    assert.ok(!existsSync(scratch) || readdirSync(scratch).length === 0, `kill ${k + 1}: the scratch area is emptied`);
    assert.equal(JSON.stringify((await api.snapshots(GROUP)).snapshots), snapshots, `kill ${k + 1}: the snapshots are unchanged`);
    log.add({ atMs: killedAt, windowMs, outcome, restartMs: restart.ms, detail: `task was at ${seen ? `${Math.round((seen.progress ?? 0) * 100)}% (${seen.progressMessage ?? 'starting'})` : 'unknown'}` });
  }

  await undisturbedDrill();
  let bytes = 0;
  for (const s of (await api.snapshots(GROUP)).snapshots) bytes += await verifySnapshot(api, s.id);
  assert.equal(JSON.stringify((await api.snapshots(GROUP)).snapshots), snapshots);
  assert.equal(await d.stop(), 0);
  const check = havend(['store', 'check', '--data', dataDir]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const ds = await openDatastore(join(dataDir, 'datastore'));
  try {
    assert.deepEqual(ds.holds.list().filter((h) => h.owner.startsWith('drill:')), [], 'no drill hold is left');
  } finally {
    ds.store.close();
  }
  log.report(t);
  t.diagnostic(`${(bytes / 1048576).toFixed(1)} MiB read back bit-exact; ${check.stdout.split('\n')[0]}`);
  assert.ok(log.kills.some((k) => k.outcome === 'interrupted'), 'at least one kill cut a drill short');
});

async function openDrillAlerts(api: ApiClient): Promise<AlertInfo[]> {
  return (await api.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts.filter((a) => a.key === `drill.failed:${GROUP}`);
}
