// Objects marked damaged stay on the quarantine list, across a reopen, until cleared.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../core/src/objects/digest.js';
import { openDatastore, tempDatastore } from '../helpers/datastore.js';

test('quarantine: mark, list across a reopen, clear', async (t) => {
  const ds = await tempDatastore(t);
  const bad = randomBytes(32);
  const other = randomBytes(32);
  assert.equal(ds.quarantine.isQuarantined(bad), false);
  await ds.quarantine.mark(bad, 'payload fails its SHA-256');
  await ds.quarantine.mark(other, 'record CRC mismatch');
  await ds.store.close();

  const again = await openDatastore(ds.root);
  t.after(() => again.store.close());
  assert.equal(again.quarantine.isQuarantined(bad), true);
  const listed = again.quarantine.list().find((q) => q.digest === toHex(bad));
  assert.equal(listed?.reason, 'payload fails its SHA-256');
  assert.ok(listed && Date.parse(listed.since) > 0);
  assert.equal(again.quarantine.list().length, 2);

  assert.equal(await again.quarantine.clear(bad), true);
  assert.equal(await again.quarantine.clear(bad), false, 'already cleared');
  assert.equal(again.quarantine.isQuarantined(bad), false);
  assert.deepEqual(again.quarantine.list().map((q) => q.digest), [toHex(other)]);
});
