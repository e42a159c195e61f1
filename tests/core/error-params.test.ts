// Error parameters are typed per code from the message template: a missing or misspelt
// parameter does not compile (the @ts-expect-error lines fail the build if it ever does),
// and a message is filled from exactly what its template names.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HavenError, errorFromBody } from '../../core/src/errors.js';

test('a code takes exactly the parameters its message names', () => {
  const err = new HavenError('PATH_NOT_FOUND', { path: 'etc/passwd', id: 'abc123' });
  assert.equal(err.message, 'No entry etc/passwd in snapshot abc123');
  assert.equal(err.status, 404);
  // @ts-expect-error: `id` is missing
  void new HavenError('PATH_NOT_FOUND', { path: 'x' });
  // @ts-expect-error: `digest` misspelt
  void new HavenError('OBJECT_NOT_FOUND', { digets: '00' });
  // @ts-expect-error: parameters are required where the template has placeholders
  void new HavenError('SESSION_NOT_FOUND');
  // no placeholders: no parameters needed
  assert.equal(new HavenError('UNAUTHORIZED').message, 'A valid API token is required');
  assert.equal(new HavenError('SHUTTING_DOWN', {}, { details: { x: 1 } }).details !== undefined, true);
});

test('an error rebuilt from a body keeps the message it was sent with', () => {
  const err = errorFromBody(404, { error: { code: 'SNAPSHOT_NOT_FOUND', message: 'No snapshot 1234', details: { a: 1 } } });
  assert.equal(err.code, 'SNAPSHOT_NOT_FOUND');
  assert.equal(err.message, 'No snapshot 1234');
  assert.deepEqual(err.details, { a: 1 });
  assert.equal(errorFromBody(500, 'garbage').code, 'INTERNAL');
});
