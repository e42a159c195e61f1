// round-trip.test.ts's case (core-client-cases.ts) with the datastore on S3: a real havend on a
// real Ceph RADOS Gateway and the real `haven` client. The cache (3 MiB) is smaller than the
// backup and the restore waits until everything is uploaded, so the restore and `check
// --read-data` read evicted segments by ranged GETs (and fill the cache); `havend store
// check` is clean afterwards. 30 s alone on a quiet machine; its ranged reads fetch several
// times the data (a 3 MiB cache against 1 MiB segments), so beside a heavy test file it has
// taken over 120 s: the bound is 300 s.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnCeph } from '../helpers/ceph.js';
import { assertStoreCheckClean, objectStorageOf, s3CliWorld, settledOnS3 } from '../helpers/s3-datastore.js';
import { roundTripCase } from './core-client-cases.js';

describeOnCeph('the client against a datastore on S3 (Ceph RADOS Gateway)', (labOf) => {
  test('backup and restore round-trip every file type with exact metadata; reads by ranged GETs; store check clean', { timeout: 300_000 }, async (t) => {
    const { w, env } = await s3CliWorld(t, labOf());
    await roundTripCase(t, w, () => settledOnS3(w));
    assert.ok((await objectStorageOf(w.daemon, w.token)).fetchedBytes > 1 << 20, 'the restore read evicted segments from the bucket');
    await w.daemon.stop();
    await assertStoreCheckClean(w.dataDir, env);
  });
});
