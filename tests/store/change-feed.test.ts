// The change feed: commits, deletions and protection changes in the order they happened,
// read in pages from a cursor, still there after a reopen; a rebuilt index starts a new
// epoch and says so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rebuildIndex } from '../../daemon/src/store/rebuild-index.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { commitSample, openDatastore, tempDatastore } from '../helpers/datastore.js';

test('change feed: commits and deletes in order, resumed from a cursor across a reopen', async (t) => {
  const ds = await tempDatastore(t);
  const start = ds.feed.head();
  assert.equal(start.seq, 0);
  assert.deepEqual(ds.feed.after(null).changes, []);

  const a = await commitSample(ds, 'web', 1_000);
  const b = await commitSample(ds, 'db', 2_000);
  await ds.catalog.delete(a.summary.id, 'admin');
  const c = await commitSample(ds, 'web', 3_000);

  const all = ds.feed.after(start);
  assert.equal(all.reset, false);
  assert.deepEqual(all.changes.map((x) => [x.seq, x.type, x.snapshot, x.group]), [
    [1, 'committed', a.summary.id, 'web'],
    [2, 'committed', b.summary.id, 'db'],
    [3, 'deleted', a.summary.id, 'web'],
    [4, 'committed', c.summary.id, 'web'],
  ]);
  assert.equal(all.changes[0]?.time, new Date(1_000).toISOString(), 'a commit carries the snapshot time');
  assert.deepEqual(all.cursor, ds.feed.head());

  // in pages: each page continues where the last one stopped
  const first = ds.feed.after(start, 2);
  assert.deepEqual(first.changes.map((x) => x.seq), [1, 2]);
  const second = ds.feed.after(first.cursor, 2);
  assert.deepEqual(second.changes.map((x) => x.seq), [3, 4]);
  const none = ds.feed.after(second.cursor, 2);
  assert.deepEqual(none.changes, []);
  assert.deepEqual(none.cursor, second.cursor, 'an empty page leaves the cursor where it was');

  // deleting an unknown or already deleted snapshot changes nothing in the feed
  await ds.catalog.delete(a.summary.id, 'admin');
  assert.deepEqual(ds.feed.after(second.cursor).changes, []);

  await ds.store.close();
  const again = await openDatastore(ds.root);
  t.after(() => again.store.close());
  assert.deepEqual(again.feed.after(first.cursor).changes.map((x) => x.seq), [3, 4]);
  const d = await commitSample(again, 'db', 4_000);
  assert.deepEqual(again.feed.after(second.cursor).changes.map((x) => [x.seq, x.snapshot]), [[5, d.summary.id]]);
});

test('change feed: a rebuilt index starts a new epoch listing each surviving snapshot once', async (t) => {
  const ds = await tempDatastore(t);
  const a = await commitSample(ds, 'web', 1_000);
  const b = await commitSample(ds, 'web', 2_000);
  await ds.catalog.delete(a.summary.id, 'admin');
  const before = ds.feed.head();
  await ds.store.close();

  const pool = createVerifyPool({ threads: 1 });
  t.after(() => pool.close());
  await rebuildIndex(ds.root, pool);

  const again = await openDatastore(ds.root);
  t.after(() => again.store.close());
  const page = again.feed.after(before);
  assert.equal(page.reset, true, 'the old cursor belongs to the index that was replaced');
  assert.notEqual(page.cursor.epoch, before.epoch);
  assert.deepEqual(page.changes.map((x) => [x.seq, x.type, x.snapshot]), [[1, 'committed', b.summary.id]]);
  assert.equal(again.feed.after(page.cursor).reset, false);
});

test('change feed: protecting and unprotecting a snapshot are changes too; the same state twice is not', async (t) => {
  const ds = await tempDatastore(t);
  const a = await commitSample(ds, 'web', 1_000);
  const head = ds.feed.head();
  await ds.catalog.protect(a.summary.id, 'admin');
  await ds.catalog.protect(a.summary.id, 'admin');
  await ds.catalog.unprotect(a.summary.id, 'admin');
  assert.deepEqual(ds.feed.after(head).changes.map((x) => [x.seq, x.type, x.snapshot, x.group]), [
    [2, 'protected', a.summary.id, 'web'],
    [3, 'unprotected', a.summary.id, 'web'],
  ]);
});
