// A plan entry's own drill schedule and client link rate (issue 15) on a real havend whose
// global `drill.cron` is off: the entry with a one-second `drillSchedule` is drilled on its
// own (a drill by `schedule`) and listed on the Jobs page as `drill:<group>`, the entry without
// one is not drilled; pausing or removing the entry removes its job. Its tiny link rate bounds
// the RTO estimate: time to first byte + the newest snapshot's size / the link rate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DrillStatus } from '../../core/src/api/drills.js';
import type { ScheduledJobList, TaskInfo } from '../../core/src/api/jobs.js';
import type { SnapshotSummary } from '../../core/src/api/snapshots.js';
import { havend } from '../helpers/daemon.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

const ENV = { HAVEND_VERIFY_CRON: '', HAVEND_GC_CRON: '', HAVEND_RETENTION_PRUNE_CRON: '', HAVEND_DRILL_CRON: '', HAVEND_DATASTORE_DIRECT_IO: 'false' };
/** 0.01 MB/s = 10,000 B/s: far below any loopback restore, so the link bounds the estimate. */
const LINK_MBPS = 0.01;

test('an entry with its own drill schedule is drilled on it, bounded by its link rate; its job follows the entry', { timeout: 120_000 }, async (t) => {
  const w = await cliWorld(t, ENV);
  const admin = w.daemon.client(w.token);
  const work = tempDir(t);
  mkdirSync(join(work, 'data'));
  for (const f of ['a.bin', 'b.bin']) writeFileSync(join(work, 'data', f), seededBytes(50_000, f));
  for (const group of ['own', 'plain']) await w.json(['backup', '--group', group, 'data'], { cwd: work });
  const added = havend(['plan', 'add', 'own', '--rpo', '1d', '--drill-schedule', '* * * * * *', '--link-rate', String(LINK_MBPS), '--data', w.dataDir]);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /drills "\* \* \* \* \* \*", link 0\.01 MB\/s/);
  await admin.json('PUT', '/api/v1/plan/plain', { rpo: '1d' });

  const jobNames = async (): Promise<string[]> => (await admin.json<ScheduledJobList>('GET', '/api/v1/jobs')).jobs.map((j) => j.name).filter((n) => n.startsWith('drill'));
  const { jobs } = await admin.json<ScheduledJobList>('GET', '/api/v1/jobs');
  const job = jobs.find((j) => j.name === 'drill:own');
  assert.deepEqual([job?.schedule, job?.history, job?.runNow?.path], ['* * * * * *', { kind: 'drill', subject: 'own' }, '/api/v1/drills/own']);
  assert.deepEqual(await jobNames(), ['drill:own'], 'no global drill job, none for the entry without a schedule');

  let status: DrillStatus = { running: null, history: [] };
  for (let i = 0; i < 300 && status.history.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = await admin.json<DrillStatus>('GET', '/api/v1/drills');
  }
  const run = status.history[0];
  assert.ok(run, 'a scheduled drill within 30 s');
  assert.deepEqual([run.group, run.by, run.result], ['own', 'schedule', 'passed'], JSON.stringify(run));

  // The link (10,000 B/s) is slower than the measured restore: it bounds the estimate.
  const snapshots = (await admin.json<{ snapshots: SnapshotSummary[] }>('GET', '/api/v1/groups/own/snapshots')).snapshots;
  const newestBytes = snapshots[snapshots.length - 1]?.stats.bytes ?? 0;
  assert.ok(newestBytes > 0 && run.bytesPerSecond > LINK_MBPS * 1e6, `${newestBytes} B, ${run.bytesPerSecond} B/s`);
  assert.equal(run.rateBound, 'link');
  assert.equal(run.estimateBytes, newestBytes);
  assert.ok(Math.abs((run.rtoEstimateSeconds ?? 0) - (run.timeToFirstByteMs / 1000 + newestBytes / (LINK_MBPS * 1e6))) < 1e-6, JSON.stringify(run));

  // Pausing removes the job, activating brings it back, removing the entry removes it.
  await admin.json('PUT', '/api/v1/plan/own', { rpo: '1d', drillSchedule: '* * * * * *', mode: 'paused' });
  assert.deepEqual(await jobNames(), []);
  await admin.json('PUT', '/api/v1/plan/own', { rpo: '1d', drillSchedule: '*/2 * * * * *' });
  assert.deepEqual(await jobNames(), ['drill:own']);
  assert.equal((await admin.request('DELETE', '/api/v1/plan/own')).statusCode, 204);
  assert.deepEqual(await jobNames(), []);

  const plainDrills = await admin.json<{ tasks: TaskInfo[] }>('GET', '/api/v1/tasks?kind=drill&subject=plain');
  assert.deepEqual(plainDrills.tasks, [], 'the entry without a schedule of its own is not drilled');
});
