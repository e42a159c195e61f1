// Backups deleted since they were taken, as the report reads them from a real datastore's
// change feed (daemon/src/report/deleted-commits.ts): a deletion counts its snapshot's commit
// time; protecting or unprotecting a snapshot (also in the feed) deletes nothing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeletedCommits } from '../../daemon/src/report/deleted-commits.js';
import { commitSample, tempDatastore } from '../helpers/datastore.js';

test('deleted commits: deletions count, protection changes do not', async (t) => {
  const ds = await tempDatastore(t);
  const a = await commitSample(ds, 'web', 1_000);
  const b = await commitSample(ds, 'web', 2_000);
  await ds.catalog.protect(a.summary.id, 'admin');
  await ds.catalog.unprotect(a.summary.id, 'admin');
  await ds.catalog.delete(b.summary.id, 'admin');
  const deleted = new DeletedCommits(ds.feed);
  assert.deepEqual(deleted.of('web'), [2_000]);
  await ds.catalog.protect(a.summary.id, 'admin');
  assert.deepEqual(deleted.of('web'), [2_000], 'read on from its cursor: still only the deletion');
});
