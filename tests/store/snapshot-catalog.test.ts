// The store's snapshot catalogue: a commit registers the snapshot with its session record
// and is listed per group in time order; a deletion survives a reopen; prefixes resolve.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitSample, openDatastore, tempDatastore } from '../helpers/datastore.js';

test('catalogue: commit, list by group, latest, prefix lookup, delete', async (t) => {
  const ds = await tempDatastore(t);
  const a = await commitSample(ds, 'web', 1_000);
  const b = await commitSample(ds, 'db', 2_000);
  const c = await commitSample(ds, 'web', 3_000);

  assert.deepEqual(ds.catalog.list('web').map((s) => s.id), [a.summary.id, c.summary.id]);
  assert.equal(ds.catalog.latest('web')?.id, c.summary.id);
  assert.equal(ds.catalog.latest('mail'), null);
  assert.deepEqual(ds.catalog.groups().map((g) => [g.name, g.snapshots, g.latest?.id]), [['db', 1, b.summary.id], ['web', 2, c.summary.id]]);
  assert.deepEqual(ds.catalog.groups((g) => g === 'db').map((g) => g.name), ['db']);
  assert.deepEqual(ds.catalog.ids().sort(), [a.summary.id, b.summary.id, c.summary.id].sort());
  assert.deepEqual(ds.catalog.idsStartingWith(a.summary.id.slice(0, 7), 2), [a.summary.id]);
  assert.deepEqual(ds.catalog.idsStartingWith('', 2).length, 2, 'the limit holds');
  assert.equal(ds.catalog.count(), 3);
  assert.equal(ds.usage.snapshots(), 3);
  assert.ok(ds.usage.storedBytes() > 0);

  // the session record was written committed, naming its snapshot, in the same transaction
  const session = ds.sessions.get(a.session.id);
  assert.equal(session?.state, 'committed');
  assert.equal(session?.snapshot, a.summary.id);

  await ds.catalog.delete(a.summary.id, 'admin');
  assert.equal(ds.catalog.get(a.summary.id), undefined);
  assert.deepEqual(ds.catalog.list('web').map((s) => s.id), [c.summary.id]);

  await ds.store.close();
  const again = await openDatastore(ds.root);
  t.after(() => again.store.close());
  assert.deepEqual(again.catalog.list('web').map((s) => s.id), [c.summary.id]);
  assert.equal(again.catalog.get(b.summary.id)?.group, 'db');
});

test('session pins: per session, released with the session, all of them together', async (t) => {
  const ds = await tempDatastore(t);
  ds.sessions.pins('one').add('a');
  ds.sessions.pins('one').add('b');
  ds.sessions.pins('two').add('b');
  ds.sessions.pins('two').add('c');
  assert.deepEqual([...ds.sessions.pinned()].sort(), ['a', 'b', 'c']);
  ds.sessions.release('one');
  assert.deepEqual([...ds.sessions.pinned()].sort(), ['b', 'c']);
  assert.equal(ds.sessions.pins('one').size, 0, 'a released session starts with no pins');
});
