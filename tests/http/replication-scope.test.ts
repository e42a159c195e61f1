// What a replication token sees on the source: the groups it covers (listings, records, the
// change feed, long-polled), nothing of another group, and no way to write. The auth matrix
// checks each route's policy; this checks what the answers contain.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { ChangesResponse } from '../../core/src/api/replication.js';
import { groupFixture } from './fixtures.js';
import { inProcessServer } from './in-process.js';

test('a replicate:<group> token reads its group and its changes only, and writes nothing', async (t) => {
  const api = await inProcessServer(t);
  const alpha = await groupFixture(api, 'alpha');
  const beta = await groupFixture(api, 'beta');
  const token = await api.token('replicate:alpha');
  const get = (url: string) => api.server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  const groups = (await get('/api/v1/groups')).json() as { groups: Array<{ name: string }> };
  assert.deepEqual(groups.groups.map((g) => g.name), ['alpha']);

  const feed = (await get('/api/v1/replication/changes')).json() as ChangesResponse;
  assert.deepEqual(feed.changes.map((c) => [c.type, c.snapshot]), [['committed', alpha.snapshot]]);
  assert.equal(feed.reset, false);
  assert.ok(feed.cursor.seq >= 2, 'the cursor moves past the other group\'s changes too');

  const record = await get(`/api/v1/snapshots/${alpha.snapshot}/record`);
  assert.equal(record.statusCode, 200);
  assert.equal(createHash('sha256').update(record.rawPayload).digest('hex'), alpha.snapshot, 'the record as stored: its digest is its id');

  for (const url of [`/api/v1/groups/beta/snapshots`, `/api/v1/snapshots/${beta.snapshot}`, `/api/v1/snapshots/${beta.snapshot}/record`, `/api/v1/snapshots/${beta.snapshot}/tree`]) {
    assert.equal((await get(url)).statusCode, 403, url);
  }
  const write = await api.server.inject({ method: 'POST', url: '/api/v1/backups', headers: { authorization: `Bearer ${token}` }, payload: { group: 'alpha' } });
  assert.equal(write.statusCode, 403);
  const del = await api.server.inject({ method: 'DELETE', url: `/api/v1/snapshots/${alpha.snapshot}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(del.statusCode, 403);

  // A long poll answers when a change of its group arrives; one of another group leaves it waiting.
  const after = `/api/v1/replication/changes?epoch=${feed.cursor.epoch}&seq=${feed.cursor.seq}&wait=20`;
  const waiting = get(after);
  await groupFixture(api, 'beta');
  const next = await groupFixture(api, 'alpha');
  const woke = (await waiting).json() as ChangesResponse;
  assert.deepEqual(woke.changes.map((c) => c.snapshot), [next.snapshot]);
});
