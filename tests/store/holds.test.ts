// Holds other areas register on snapshots and objects: listed per owner and per target,
// released one at a time, and still there after the store is closed and opened again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { HavenError } from '../../core/src/errors.js';
import { openDatastore, tempDatastore } from '../helpers/datastore.js';

const hex = (): string => randomBytes(32).toString('hex');

test('holds survive a reopen, list per owner and per target, and release', async (t) => {
  const ds = await tempDatastore(t);
  const snap = hex();
  const obj = hex();
  await ds.holds.add({ owner: 'replication:offsite', kind: 'snapshot', target: snap, reason: 'not yet sent' });
  await ds.holds.add({ owner: 'drill:monthly', kind: 'snapshot', target: snap, reason: 'restore drill running' });
  await ds.holds.add({ owner: 'drill:monthly', kind: 'object', target: obj, reason: 'sampled chunk' });
  // an owner whose name extends another's is not listed under it
  await ds.holds.add({ owner: 'drill:monthly-2', kind: 'object', target: obj, reason: 'another drill' });
  await ds.store.close();

  const again = await openDatastore(ds.root);
  t.after(() => again.store.close());
  assert.deepEqual(again.holds.list('drill:monthly').map((h) => [h.kind, h.target]).sort(), [['object', obj], ['snapshot', snap]]);
  assert.deepEqual(again.holds.on('snapshot', snap).map((h) => h.owner).sort(), ['drill:monthly', 'replication:offsite']);
  assert.equal(again.holds.list().length, 4);
  const h = again.holds.on('object', obj).find((x) => x.owner === 'drill:monthly');
  assert.equal(h?.reason, 'sampled chunk');
  assert.ok(h && Date.parse(h.since) > 0);

  assert.equal(await again.holds.release('drill:monthly', 'snapshot', snap), true);
  assert.equal(await again.holds.release('drill:monthly', 'snapshot', snap), false, 'already released');
  assert.deepEqual(again.holds.on('snapshot', snap).map((x) => x.owner), ['replication:offsite']);
});

test('a hold needs an owner and a hex digest', async (t) => {
  const ds = await tempDatastore(t);
  await assert.rejects(ds.holds.add({ owner: '', kind: 'snapshot', target: hex(), reason: 'x' }), (e) => e instanceof HavenError && e.code === 'VALIDATION_FAILED');
  await assert.rejects(ds.holds.add({ owner: 'x', kind: 'snapshot', target: 'abc', reason: 'x' }), (e) => e instanceof HavenError && e.code === 'VALIDATION_FAILED');
  assert.equal(ds.holds.list().length, 0);
});
