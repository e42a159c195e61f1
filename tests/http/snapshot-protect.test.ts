// Protecting a snapshot over the API (issue 13): POST /snapshots/:id/protect and /unprotect
// (admin), the typed 409 on DELETE while protected, the flag in summaries and listings, and
// the 'snapshot.changed' event on the live socket.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIVE_PATH, type LiveMessage } from '../../core/src/api/live.js';
import type { SnapshotSummary } from '../../core/src/api/snapshots.js';
import { groupFixture } from './fixtures.js';
import { inProcessServer } from './in-process.js';

test('protect, refused delete (SNAPSHOT_PROTECTED), unprotect, delete', async (t) => {
  const api = await inProcessServer(t);
  const f = await groupFixture(api, 'web');
  const admin = { authorization: `Bearer ${await api.token('admin')}` };
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, headers = admin) => api.server.inject({ method, url, headers });

  const fresh = (await call('GET', `/api/v1/snapshots/${f.snapshot}`)).json() as SnapshotSummary;
  assert.equal(fresh.protected, false);

  const events: LiveMessage[] = [];
  const ws = await api.server.injectWS(LIVE_PATH, { headers: admin });
  ws.on('message', (m: Buffer) => events.push(JSON.parse(m.toString()) as LiveMessage));

  // by a unique prefix, as the CLI allows
  const p = await call('POST', `/api/v1/snapshots/${f.snapshot.slice(0, 10)}/protect`);
  assert.equal(p.statusCode, 200, p.body);
  assert.equal((p.json() as SnapshotSummary).id, f.snapshot);
  assert.equal((p.json() as SnapshotSummary).protected, true);
  const listed = (await call('GET', '/api/v1/groups/web/snapshots')).json() as { snapshots: SnapshotSummary[] };
  assert.deepEqual(listed.snapshots.map((s) => s.protected), [true]);

  const refused = await call('DELETE', `/api/v1/snapshots/${f.snapshot}`);
  assert.equal(refused.statusCode, 409, refused.body);
  const error = (refused.json() as { error: { code: string; message: string } }).error;
  assert.equal(error.code, 'SNAPSHOT_PROTECTED');
  assert.match(error.message, /by test admin since .*havend snapshot unprotect/);

  // backup tokens never change protection (admin only), even for their own group
  const asBackup = await call('POST', `/api/v1/snapshots/${f.snapshot}/unprotect`, { authorization: `Bearer ${f.token}` });
  assert.equal(asBackup.statusCode, 403, asBackup.body);

  const u = await call('POST', `/api/v1/snapshots/${f.snapshot}/unprotect`);
  assert.equal(u.statusCode, 200, u.body);
  assert.equal((u.json() as SnapshotSummary).protected, false);
  assert.equal((await call('POST', `/api/v1/snapshots/${f.snapshot}/unprotect`)).statusCode, 200, 'unprotecting twice is harmless');

  const missing = await call('POST', `/api/v1/snapshots/${'0'.repeat(64)}/protect`);
  assert.equal(missing.statusCode, 404);
  assert.equal((missing.json() as { error: { code: string } }).error.code, 'SNAPSHOT_NOT_FOUND');

  assert.equal((await call('DELETE', `/api/v1/snapshots/${f.snapshot}`)).statusCode, 204);

  await waitFor(() => events.some((e) => e.type === 'event' && e.name === 'snapshot.deleted'));
  // closed here: the server's close (registered first, so run first by t.after) would wait for it
  ws.terminate();
  const changed = events.flatMap((e) => (e.type === 'event' && e.name === 'snapshot.changed' ? [e.data] : []));
  assert.deepEqual(changed.map((s) => [s.id, s.protected]), [[f.snapshot, true], [f.snapshot, false]], 'one event per actual change');
});

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(ok(), 'timed out waiting for the live event');
}
