// incremental.test.ts's case (core-client-cases.ts) with the datastore on S3: a real havend on a
// real Ceph RADOS Gateway and the real `haven` client; then, with everything uploaded and the
// cache (3 MiB) smaller than the data, the latest snapshot restores bit-exact from the bucket.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnCeph } from '../helpers/ceph.js';
import { objectStorageOf, s3CliWorld, settledOnS3 } from '../helpers/s3-datastore.js';
import { incrementalCase, restoreMatches } from './core-client-cases.js';

describeOnCeph('incremental backups to a datastore on S3 (Ceph RADOS Gateway)', (labOf) => {
  test('incremental backups send only what changed; the latest restores bit-exact from the bucket', { timeout: 120_000 }, async (t) => {
    const { w } = await s3CliWorld(t, labOf());
    const src = await incrementalCase(t, w);
    await settledOnS3(w);
    const before = (await objectStorageOf(w.daemon, w.token)).fetchedBytes;
    await restoreMatches(t, w, 'inc', src, 'src');
    assert.ok((await objectStorageOf(w.daemon, w.token)).fetchedBytes > before, 'the restore read evicted segments from the bucket');
  });
});
