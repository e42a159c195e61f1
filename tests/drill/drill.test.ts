// Recovery drills end to end (issue 15) with a real havend that runs the real `haven restore`
// against itself: two snapshots of a small tree (files, a subdirectory, a symlink), a drill
// restores both whole, compares content and metadata, reports the files and bytes compared,
// the rates and an RTO estimate, and leaves no scratch files, holds or tokens behind; after a
// byte of a data record is flipped on disk, the drill fails, names the damaged path and
// raises its alert.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '../../client/src/api/api-client.js';
import type { DrillRun } from '../../core/src/api/drills.js';
import type { AlertInfo } from '../../core/src/api/jobs.js';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { havend } from '../helpers/daemon.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { damagePayload, firstDataRecord } from '../helpers/segment-damage.js';
import { tempDir } from '../helpers/tmp.js';

const ENV = { HAVEND_VERIFY_CRON: '', HAVEND_GC_CRON: '', HAVEND_RETENTION_PRUNE_CRON: '', HAVEND_DATASTORE_DIRECT_IO: 'false' };
const FILES = ['data/a.bin', 'data/b.bin', 'data/sub/c.bin'];
const FILE_BYTES = 200_000;

function drill(dataDir: string, group: string): { code: number; run: DrillRun } {
  const r = havend(['drill', group, '--wait', '--json', '--data', dataDir]);
  try {
    return { code: r.code, run: JSON.parse(r.stdout) as DrillRun };
  } catch {
    throw new Error(`havend drill printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

test('a drill restores both snapshots with the real client and compares them; a damaged one fails naming the path', { timeout: 240_000 }, async (t) => {
  const w = await cliWorld(t, ENV);
  const admin = w.daemon.client(w.token);
  const work = tempDir(t);
  mkdirSync(join(work, 'data', 'sub'), { recursive: true });
  for (const f of FILES) writeFileSync(join(work, f), seededBytes(FILE_BYTES, f));
  symlinkSync('a.bin', join(work, 'data', 'link'));
  await w.json(['backup', '--group', 'web', 'data'], { cwd: work });
  writeFileSync(join(work, 'data', 'b.bin'), seededBytes(FILE_BYTES, 'b changed'));
  await w.json(['backup', '--group', 'web', 'data'], { cwd: work });
  await admin.json('PUT', '/api/v1/plan/web', { rpo: '1d', rto: '1w' });

  const passed = drill(w.dataDir, 'web');
  assert.equal(passed.code, EXIT.ok, JSON.stringify(passed.run));
  assert.equal(passed.run.result, 'passed');
  assert.equal(passed.run.snapshots.length, 2, 'the newest and an older one');
  for (const s of passed.run.snapshots) {
    assert.equal(s.whole, true);
    assert.equal(s.filesCompared, FILES.length);
    assert.equal(s.bytesCompared, FILES.length * FILE_BYTES);
    assert.deepEqual([s.mismatches, s.damagedPaths, s.clientError], [[], [], null]);
  }
  assert.equal(passed.run.filesCompared, 2 * FILES.length);
  assert.ok(passed.run.bytesPerSecond > 0 && passed.run.filesPerSecond > 0);
  assert.ok(passed.run.rtoEstimateSeconds !== null && passed.run.rtoEstimateSeconds > 0);
  assert.equal(passed.run.rtoTargetSeconds, 7 * 86400);
  const planned = (await admin.json<{ entries: Array<{ group: string; rtoEstimate: { configured: boolean; seconds?: number; task?: string } }> }>('GET', '/api/v1/plan'))
    .entries.find((e) => e.group === 'web');
  assert.deepEqual(planned?.rtoEstimate, { configured: true, seconds: passed.run.rtoEstimateSeconds, drilled: passed.run.ended, task: passed.run.task, result: 'passed' });
  const metrics = (await readAll(await admin.request('GET', '/metrics'))).toString('utf8');
  assert.match(metrics, /^haven_drill_last_passed\{group="web"\} 1$/m);
  assert.match(metrics, /^haven_drill_rto_estimate_seconds\{group="web"\} [0-9.e-]+$/m);
  const scratch = join(w.dataDir, 'drills');
  assert.ok(!existsSync(scratch) || readdirSync(scratch).length === 0, 'the scratch area is emptied');
  const tokens = havend(['token', 'list', '--data', w.dataDir]);
  assert.doesNotMatch(tokens.stdout, /drill/, 'the drill\'s token is revoked');

  // One data record fails its digest: the file holding it is named.
  const victim = await firstDataRecord(join(w.dataDir, 'datastore'));
  // Each file is one chunk (smaller than the chunker's minimum), whose digest is its content's SHA-256.
  const damagedFile = [...FILES, 'data/b.bin'].find((f, i) => createHash('sha256').update(i < FILES.length ? seededBytes(FILE_BYTES, f) : seededBytes(FILE_BYTES, 'b changed')).digest('hex') === victim.digest);
  damagePayload(victim);
  const failed = drill(w.dataDir, 'web');
  assert.equal(failed.code, EXIT.failure, JSON.stringify(failed.run));
  assert.equal(failed.run.result, 'failed');
  const named = failed.run.snapshots.flatMap((s) => s.damagedPaths);
  assert.ok(named.length > 0, JSON.stringify(failed.run));
  assert.ok(damagedFile, 'the damaged record is the only chunk of one of the files');
  assert.ok(named.every((p) => p === damagedFile), `${named.join(', ')} vs ${damagedFile}`);
  const alerts = (await admin.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts;
  const alert = alerts.find((a) => a.key === 'drill.failed:web');
  assert.ok(alert && alert.message.includes(named[0] as string), JSON.stringify(alerts));
});

test('the drill\'s dead-man switch fires while scheduled drills fail on damaged data and clears once a backup healed it', { timeout: 240_000 }, async (t) => {
  // A drill every second and a check every second: the window is 3 s.
  const w = await cliWorld(t, { ...ENV, HAVEND_DRILL_CRON: '* * * * * *', HAVEND_JOBS_DEAD_MAN_CHECK_SECONDS: '1' });
  const admin = w.daemon.client(w.token);
  const work = tempDir(t);
  mkdirSync(join(work, 'data', 'sub'), { recursive: true });
  for (const f of FILES) writeFileSync(join(work, f), seededBytes(FILE_BYTES, f));
  await admin.json('PUT', '/api/v1/plan/web', { rpo: '1d' });
  await w.json(['backup', '--group', 'web', 'data'], { cwd: work });
  damagePayload(await firstDataRecord(join(w.dataDir, 'datastore')));

  const openAlert = async (key: string): Promise<AlertInfo | undefined> =>
    (await admin.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts.find((a) => a.key === key);
  const waitFor = async (what: string, cond: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 600; i++) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what} within 60 s`);
  };
  await waitFor('the drill failed alert', async () => (await openAlert('drill.failed:web')) !== undefined);
  await waitFor('the dead-man alert', async () => (await openAlert('job.overdue:drill')) !== undefined);
  const overdue = await openAlert('job.overdue:drill');
  assert.match(overdue?.message ?? '', /never since/);
  await waitFor('the overdue metric', async () => /^haven_job_overdue\{job="drill"\} 1$/m.test((await readAll(await admin.request('GET', '/metrics'))).toString('utf8')));

  // Verification quarantines the damaged object; the next backup uploads it anew.
  assert.equal(havend(['verify', '--wait', '--json', '--data', w.dataDir]).code, EXIT.failure);
  await w.json(['backup', '--group', 'web', 'data'], { cwd: work });
  await waitFor('the dead-man alert to clear', async () => (await openAlert('job.overdue:drill')) === undefined);
  await waitFor('the drill failed alert to clear', async () => (await openAlert('drill.failed:web')) === undefined);
});
