// Route schemas compile lazily, at each route's first request (daemon/src/http/lazy-compilers.ts):
// a schema Ajv or fast-json-stringify cannot compile would no longer stop the start. This test
// compiles every one of the real route table's schemas with the server's own compilers instead.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileAllSchemas } from '../../daemon/src/http/lazy-compilers.js';
import { inProcessServer } from './in-process.js';

test('every route schema of the API compiles with the server\'s compilers', async (t) => {
  const api = await inProcessServer(t);
  await api.server.ready();
  const withSchemas = api.routes.filter((r) => r.schema !== undefined);
  assert.ok(withSchemas.length > 20, `the route table has schemas (${withSchemas.length} routes)`);
  const compiled = compileAllSchemas(api.server);
  // At least one validator or serializer per route with a schema, and none left afterwards.
  assert.ok(compiled >= withSchemas.length, `${compiled} schema(s) compiled for ${withSchemas.length} route(s)`);
  assert.equal(compileAllSchemas(api.server), 0);
  // The compiled validators are the ones requests use: a bad body still gets the typed error.
  const bad = await api.server.inject({
    method: 'PUT', url: '/api/v1/plan/web01', payload: { rpo: 42 },
    headers: { authorization: `Bearer ${await api.token('admin')}` },
  });
  assert.equal(bad.statusCode, 400);
  assert.equal((bad.json() as { error: { code: string } }).error.code, 'VALIDATION_FAILED');
});
