// Retention policies, preview and prune over the API (issue 13), in process: policies are
// stored per group and validated with typed errors; the preview lists every snapshot with
// keep/remove and why; a prune removes exactly what the preview said, never a protected
// snapshot, never a group without a policy, and nothing in a dry run.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MEDIA_FRAMES } from '../../core/src/api/backup.js';
import type { PolicyList, PreviewResponse, PruneResponse, StoredPolicy } from '../../core/src/api/retention.js';
import type { SnapshotSummary } from '../../core/src/api/snapshots.js';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import { toHex } from '../../core/src/objects/digest.js';
import { frameOf, treeOf } from '../helpers/objects.js';
import { inProcessServer, type InProcess } from './in-process.js';

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

async function client(api: InProcess) {
  const admin = { authorization: `Bearer ${await api.token('admin')}` };
  return (method: Method, url: string, payload?: unknown) =>
    api.server.inject({ method, url, headers: admin, ...(payload !== undefined ? { payload: payload as object } : {}) });
}

/** Commits `n` snapshots (an empty root tree each) in `group`; answers their ids, oldest first. */
async function pushSnapshots(api: InProcess, group: string, n: number): Promise<string[]> {
  const auth = { authorization: `Bearer ${await api.token(`backup:${group}`)}` };
  const root = treeOf([]);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const start = await api.server.inject({ method: 'POST', url: '/api/v1/backups', headers: auth, payload: { group } });
    assert.equal(start.statusCode, 201, start.body);
    const session = (start.json() as { session: string }).session;
    const up = await api.server.inject({
      method: 'POST', url: `/api/v1/backups/${session}/chunks`, headers: { ...auth, 'content-type': MEDIA_FRAMES }, payload: Buffer.concat(frameOf(root)),
    });
    assert.equal(up.statusCode, 200, up.body);
    const commit = await api.server.inject({ method: 'POST', url: `/api/v1/backups/${session}/commit`, headers: auth, payload: { root: toHex(root.digest) } });
    assert.equal(commit.statusCode, 200, commit.body);
    ids.push((commit.json() as { snapshot: { id: string } }).snapshot.id);
    await new Promise((r) => setTimeout(r, 5)); // distinct commit times
  }
  return ids;
}

function codeOf(body: string): string | undefined {
  return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
}

test('policies: set, get, list, replace, clear; typed errors', async (t) => {
  const api = await inProcessServer(t);
  const call = await client(api);

  assert.deepEqual((await call('GET', '/api/v1/retention')).json(), { policies: [] });
  const missing = await call('GET', '/api/v1/retention/web');
  assert.equal(missing.statusCode, 404);
  assert.equal(codeOf(missing.body), 'RETENTION_POLICY_NOT_FOUND');

  const put = await call('PUT', '/api/v1/retention/web', { keepLast: 3, keepDaily: 7, keepWithin: '2d' });
  assert.equal(put.statusCode, 200, put.body);
  const stored = put.json() as StoredPolicy;
  assert.deepEqual(stored.policy, { keepLast: 3, keepDaily: 7, keepWithin: '2d' });
  assert.equal(stored.group, 'web');
  assert.equal(stored.updatedBy, 'test admin');
  assert.deepEqual((await call('GET', '/api/v1/retention/web')).json(), stored);

  // replaced as a whole, not merged
  assert.equal((await call('PUT', '/api/v1/retention/web', { keepLast: 1 })).statusCode, 200);
  assert.deepEqual(((await call('GET', '/api/v1/retention/web')).json() as StoredPolicy).policy, { keepLast: 1 });
  assert.equal((await call('PUT', '/api/v1/retention/db', { keepWeekly: 4 })).statusCode, 200);
  assert.deepEqual(((await call('GET', '/api/v1/retention')).json() as PolicyList).policies.map((p) => p.group), ['db', 'web']);

  for (const bad of [
    { keepLast: -1 }, { keepLast: 1.5 }, { keepDialy: 7 }, { keepWithin: '7 days' }, { keepWithin: '0d' }, { keepLast: 0, keepDaily: 0 },
  ]) {
    const res = await call('PUT', '/api/v1/retention/web', bad);
    assert.equal(res.statusCode, 400, `${JSON.stringify(bad)}: ${res.body}`);
    assert.equal(codeOf(res.body), 'VALIDATION_FAILED', JSON.stringify(bad));
  }
  assert.deepEqual(((await call('GET', '/api/v1/retention/web')).json() as StoredPolicy).policy, { keepLast: 1 }, 'a refused policy changes nothing');
  assert.equal(codeOf((await call('PUT', '/api/v1/retention/bad group!', { keepLast: 1 })).body), 'VALIDATION_FAILED');

  assert.equal((await call('DELETE', '/api/v1/retention/web')).statusCode, 204);
  assert.equal(codeOf((await call('DELETE', '/api/v1/retention/web')).body), 'RETENTION_POLICY_NOT_FOUND');
  assert.deepEqual(((await call('GET', '/api/v1/retention')).json() as PolicyList).policies.map((p) => p.group), ['db']);
});

test('preview lists every snapshot with reasons; prune removes exactly that, keeps protected ones and groups without a policy', async (t) => {
  const api = await inProcessServer(t);
  const call = await client(api);
  const web = await pushSnapshots(api, 'web', 5); // oldest first
  const other = await pushSnapshots(api, 'other', 3);
  const [w0, w1, w2, w3, w4] = web as [string, string, string, string, string];
  assert.equal((await call('POST', `/api/v1/snapshots/${w1}/protect`)).statusCode, 200);

  // without a policy: everything kept, nothing to prune
  const none = (await call('POST', '/api/v1/retention/web/preview', {})).json() as PreviewResponse;
  assert.equal(none.policy, null);
  assert.ok(none.snapshots.every((s) => s.keep));
  assert.equal(codeOf((await call('POST', '/api/v1/prune', { group: 'web' })).body), 'RETENTION_POLICY_NOT_FOUND');

  assert.equal((await call('PUT', '/api/v1/retention/web', { keepLast: 2 })).statusCode, 200);
  const res = await call('POST', '/api/v1/retention/web/preview');
  assert.equal(res.statusCode, 200, res.body);
  const preview = res.json() as PreviewResponse;
  assert.deepEqual(preview.policy, { keepLast: 2 });
  assert.equal(preview.timeZone, Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.deepEqual(preview.snapshots.map((s) => [s.id, s.keep, s.protected, s.reasons]), [
    [w4, true, false, ['last 1']],
    [w3, true, false, ['last 2']],
    [w2, false, false, ['no rule keeps it']],
    [w1, true, true, ['protected']],
    [w0, false, false, ['no rule keeps it']],
  ]);
  // a policy in the request overrides the stored one, and stores nothing
  const override = (await call('POST', '/api/v1/retention/web/preview', { policy: { keepLast: 4 } })).json() as PreviewResponse;
  assert.deepEqual(override.snapshots.filter((s) => !s.keep).map((s) => s.id), []);
  assert.equal(codeOf((await call('POST', '/api/v1/retention/web/preview', { policy: { keepLast: 0 } })).body), 'VALIDATION_FAILED');

  // a dry run decides the same and deletes nothing
  const dry = await call('POST', '/api/v1/prune', { dryRun: true });
  assert.equal(dry.statusCode, 200, dry.body);
  const dryRes = dry.json() as PruneResponse;
  assert.equal(dryRes.summary.dryRun, true);
  assert.deepEqual(dryRes.summary.groups.map((g) => [g.group, g.removed]), [['web', [w2, w0]]]);
  assert.deepEqual(dryRes.summary.groups[0]?.snapshots, preview.snapshots);
  assert.equal(((await call('GET', '/api/v1/groups/web/snapshots')).json() as { snapshots: unknown[] }).snapshots.length, 5);

  // every group with a policy: web only ('other' has none and is untouched)
  const run = await call('POST', '/api/v1/prune', {});
  assert.equal(run.statusCode, 200, run.body);
  const { task, summary } = run.json() as PruneResponse;
  assert.equal(summary.dryRun, false);
  assert.equal(summary.removed, 2);
  assert.deepEqual(summary.groups.map((g) => [g.group, g.removed, g.skipped]), [['web', [w2, w0], []]]);
  assert.equal(task.status, 'succeeded');
  assert.equal(task.kind, 'retention.prune');
  assert.match(task.result ?? '', /removed 2 snapshot/);
  const logged = (await call('GET', `/api/v1/tasks/${task.id}`)).json() as TaskInfo;
  assert.ok(logged.log.some((l) => l.message.includes(`removed ${w0}`)), JSON.stringify(logged.log));

  const left = ((await call('GET', '/api/v1/groups/web/snapshots')).json() as { snapshots: SnapshotSummary[] }).snapshots;
  assert.deepEqual(left.map((s) => s.id), [w1, w3, w4], 'exactly what the preview marked for removal is gone');
  const untouched = ((await call('GET', '/api/v1/groups/other/snapshots')).json() as { snapshots: SnapshotSummary[] }).snapshots;
  assert.deepEqual(untouched.map((s) => s.id), other);

  // pruning again removes nothing: the policy is met
  assert.equal(((await call('POST', '/api/v1/prune', { group: 'web' })).json() as PruneResponse).summary.removed, 0);

  // an explicit policy prunes a group without one, once (stores nothing); the newest stays
  const once = (await call('POST', '/api/v1/prune', { group: 'other', policy: { keepLast: 1 } })).json() as PruneResponse;
  assert.deepEqual(once.summary.groups[0]?.removed, other.slice(0, 2).reverse());
  assert.equal((await call('GET', '/api/v1/retention/other')).statusCode, 404);
  assert.equal(codeOf((await call('POST', '/api/v1/prune', { policy: { keepLast: 1 } })).body), 'VALIDATION_FAILED', 'a policy needs a group');
});

test('prune without any policy is a no-op task', async (t) => {
  const api = await inProcessServer(t);
  const call = await client(api);
  const ids = await pushSnapshots(api, 'web', 2);
  const res = await call('POST', '/api/v1/prune', {});
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual((res.json() as PruneResponse).summary, { dryRun: false, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, groups: [], removed: 0 });
  assert.deepEqual(((await call('GET', '/api/v1/groups/web/snapshots')).json() as { snapshots: SnapshotSummary[] }).snapshots.map((s) => s.id), ids);
});
