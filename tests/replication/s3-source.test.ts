// Replication from a source whose datastore is on S3 (a real Ceph RADOS Gateway) to an offsite
// on a plain directory: the source's segments are uploaded and evicted (a 256 KiB cache), so
// the pull's object streams read them from the bucket; the copy restores bit-exact and the
// offsite's datastore checks clean.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReplicateResponse } from '../../core/src/api/replication.js';
import { createToken, havend } from '../helpers/daemon.js';
import { describeOnCeph } from '../helpers/ceph.js';
import { assertRestoresBitExact, backupSeededTree, replicationPair } from '../helpers/replication-pair.js';
import { allUploaded, createBucket, objectStorageOf, s3DaemonEnv } from '../helpers/s3-datastore.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'mail';

describeOnCeph('replication from a datastore on S3', (labOf) => {
  test('an offsite pulls from an S3-backed source reading evicted segments; the copy is bit-exact', { timeout: 150_000 }, async (t) => {
    const sourceEnv = s3DaemonEnv(labOf(), `haven-repl-${process.pid}`, { HAVEND_DATASTORE_S3_CACHE_BYTES: String(256 * 1024) });
    await createBucket(labOf(), sourceEnv);
    const pair = await replicationPair(t, GROUP, { sourceEnv });
    const { source, offsite } = pair;
    const work = tempDir(t);
    const id = await backupSeededTree(source, GROUP, work, 4, 1 << 20);
    const admin = createToken(source.dataDir, 'admin');
    const settled = await allUploaded(source.daemon, admin);
    assert.ok(settled.cachedBytes <= settled.cacheBytes);

    const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *']);
    assert.equal(add.code, 0, add.stderr);
    const pulled = await pair.havend(['replicate', 'primary', '--wait', '--json']);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal((JSON.parse(pulled.stdout) as ReplicateResponse).pulled, 1);
    assert.ok((await objectStorageOf(source.daemon, admin)).fetchedBytes - settled.fetchedBytes >= 3 << 20, 'the pull read the source\'s evicted segments from the bucket');

    await assertRestoresBitExact(offsite, id, work);
    await offsite.daemon.stop();
    const check = havend(['store', 'check', '--data', offsite.dataDir, '--json']);
    assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
  });
});
