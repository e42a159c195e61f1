// An upload stream without the frame media type is refused at once. It used to reach the
// ingest with no stream to read: a 500, and a shutdown listener left behind that threw when
// the daemon stopped (found by the auth matrix's accepted requests).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupFixture } from './fixtures.js';
import { inProcessServer } from './in-process.js';

test('POST /backups/:id/chunks without the frame media type answers VALIDATION_FAILED', async (t) => {
  const api = await inProcessServer(t);
  const f = await groupFixture(api, 'media');
  const headers = { authorization: `Bearer ${f.token}` };
  for (const extra of [{}, { payload: { frames: [] } }]) {
    const res = await api.server.inject({ method: 'POST', url: `/api/v1/backups/${f.session}/chunks`, headers, ...extra });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'VALIDATION_FAILED');
  }
  const session = await api.server.inject({ method: 'GET', url: `/api/v1/backups/${f.session}`, headers });
  assert.equal((session.json() as { state: string }).state, 'open');
});
