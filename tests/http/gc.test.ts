// Garbage collection over the API (issue 13), in process, with the real collector: the status
// of a fresh datastore; two snapshots, the first deleted; a run condemns its objects and the
// next reclaims them (the second snapshot still reads back whole); each run is a task with a
// one-line result and lands in the history with its summary; a start while a run is in
// flight answers that run. Responses match their schemas.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from 'typebox/value';
import type { LightMyRequestResponse } from 'fastify';
import { MEDIA_FRAMES } from '../../core/src/api/backup.js';
import { GcStartResponse, GcStatus, type GcRun } from '../../core/src/api/gc.js';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import { toHex } from '../../core/src/objects/digest.js';
import { frameOf, sampleBackup, type TestObject } from '../helpers/objects.js';
import { inProcessServer, type InProcess } from './in-process.js';

type Call = (method: 'GET' | 'POST' | 'DELETE', url: string) => Promise<LightMyRequestResponse>;

async function adminCall(api: InProcess): Promise<Call> {
  const headers = { authorization: `Bearer ${await api.token('admin')}` };
  return (method, url) => api.server.inject({ method, url, headers });
}

/** Start, upload every object, commit: the snapshot's id. */
async function push(api: InProcess, token: string, group: string, backup: { objects: TestObject[]; root: TestObject }): Promise<string> {
  const auth = { authorization: `Bearer ${token}` };
  const start = await api.server.inject({ method: 'POST', url: '/api/v1/backups', headers: auth, payload: { group } });
  assert.equal(start.statusCode, 201, start.body);
  const session = (start.json() as { session: string }).session;
  const up = await api.server.inject({
    method: 'POST', url: `/api/v1/backups/${session}/chunks`, headers: { ...auth, 'content-type': MEDIA_FRAMES },
    payload: Buffer.concat(backup.objects.flatMap(frameOf)),
  });
  assert.equal(up.statusCode, 200, up.body);
  const commit = await api.server.inject({ method: 'POST', url: `/api/v1/backups/${session}/commit`, headers: auth, payload: { root: toHex(backup.root.digest) } });
  assert.equal(commit.statusCode, 200, commit.body);
  return (commit.json() as { snapshot: { id: string } }).snapshot.id;
}

async function status(call: Call): Promise<GcStatus> {
  const res = await call('GET', '/api/v1/gc');
  assert.equal(res.statusCode, 200, res.body);
  const body: unknown = res.json();
  assert.ok(Value.Check(GcStatus, body), `GET /gc matches GcStatus: ${res.body}`);
  return body;
}

async function start(call: Call): Promise<GcStartResponse> {
  const res = await call('POST', '/api/v1/gc');
  assert.equal(res.statusCode, 202, res.body);
  const body: unknown = res.json();
  assert.ok(Value.Check(GcStartResponse, body), `POST /gc matches GcStartResponse: ${res.body}`);
  return body;
}

/** Waits (bounded) for the run of `task` to be in the history. */
async function runOf(call: Call, task: string): Promise<GcRun> {
  for (let i = 0; i < 600; i++) {
    const found = (await status(call)).history.find((r) => r.task === task);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`GC task ${task} did not end within 30 s`);
}

test('GC over the API: a run condemns a deleted snapshot\'s objects, the next reclaims them; history and tasks', { timeout: 120_000 }, async (t) => {
  const api = await inProcessServer(t);
  const call = await adminCall(api);

  const fresh = await status(call);
  assert.deepEqual({ running: fresh.running, history: fresh.history, schedule: fresh.schedule }, { running: null, history: [], schedule: '15 */6 * * *' });

  const token = await api.token('backup:web');
  const gone = sampleBackup(4, 50_000);
  const kept = sampleBackup(3, 50_000);
  const goneId = await push(api, token, 'web', gone);
  const keptId = await push(api, token, 'web', kept);
  assert.equal((await call('DELETE', `/api/v1/snapshots/${goneId}`)).statusCode, 204);

  const first = await start(call);
  assert.equal(first.alreadyRunning, false);
  assert.equal(first.task.kind, 'store.gc');
  assert.equal(first.task.title, 'Garbage collection');
  const run1 = await runOf(call, first.task.id);
  assert.equal(run1.status, 'succeeded', run1.error ?? '');
  assert.equal(run1.by, 'test admin');
  assert.ok(run1.summary);
  assert.equal(run1.summary.reclaimedObjects, 0, 'the first run only condemns');
  assert.ok(run1.summary.condemnedObjects >= gone.objects.length, `condemned ${run1.summary.condemnedObjects} of the deleted snapshot's ${gone.objects.length} objects`);

  const second = await start(call);
  assert.notEqual(second.task.id, first.task.id);
  const run2 = await runOf(call, second.task.id);
  assert.equal(run2.status, 'succeeded', run2.error ?? '');
  assert.ok(run2.summary);
  assert.ok(run2.summary.reclaimedObjects >= gone.objects.length, `reclaimed ${run2.summary.reclaimedObjects}`);
  assert.ok(run2.summary.reclaimedBytes >= gone.data.length * 50_000);
  // (stored bytes go down only once compaction removes sealed segments: tests/cli/havend-gc.test.ts)

  // the task's result is the run's one-line summary
  const task = (await call('GET', `/api/v1/tasks/${second.task.id}`)).json() as TaskInfo;
  assert.equal(task.status, 'succeeded');
  assert.match(task.result ?? '', new RegExp(`reclaimed ${run2.summary.reclaimedObjects} object\\(s\\)`));

  const after = await status(call);
  assert.equal(after.running, null);
  assert.deepEqual(after.history.map((r) => r.task), [second.task.id, first.task.id], 'newest first');
  assert.equal(after.condemnedObjects, run2.summary.condemnedObjects);
  assert.equal(after.reclaimableBytes, run2.summary.condemnedBytes + run2.summary.deadBytes);

  // what the kept snapshot references is all still there
  for (const [i, chunk] of kept.data.entries()) {
    const res = await call('GET', `/api/v1/snapshots/${keptId}/content?path=${encodeURIComponent(`dir/file-${i}`)}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(res.rawPayload.equals(chunk.raw), `dir/file-${i} reads back`);
  }
  assert.equal((await call('GET', `/api/v1/snapshots/${goneId}`)).statusCode, 404);
});

test('GC over the API: one run at a time; a start while one runs answers that run', { timeout: 60_000 }, async (t) => {
  const api = await inProcessServer(t);
  const call = await adminCall(api);
  // Both requests are in flight before either handler has answered, and begin() starts the
  // task before the first handler returns; the run itself spans several event-loop turns (its
  // scans yield, its index writes commit on LMDB's thread), so the second finds it running.
  const [a, b] = await Promise.all([start(call), start(call)]);
  assert.equal(a.task.id, b.task.id, 'both name the same task');
  assert.deepEqual([a.alreadyRunning, b.alreadyRunning].sort(), [false, true]);
  const run = await runOf(call, a.task.id);
  assert.equal(run.status, 'succeeded', run.error ?? '');
  assert.equal((await status(call)).history.length, 1, 'one run, not two');
});
