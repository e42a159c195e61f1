// Verification and drills on a datastore on S3 whose segments are only in the bucket (the cache,
// 256 KiB, is smaller than any sealed segment): a real havend on a real Ceph RADOS Gateway.
// A drill restores with the real client and compares, reading evicted segments by ranged
// GETs; `havend verify` re-reads them from the bucket, so a byte flipped in a segment object
// in the bucket (not on any local disk) is found and the snapshot named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DrillRun } from '../../core/src/api/drills.js';
import type { DamagedSnapshot, VerifyRun } from '../../core/src/api/verify.js';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { fetchDatastoreFromBucket } from '../../daemon/src/store/s3/s3-rebuild.js';
import { describeOnCeph } from '../helpers/ceph.js';
import { seededBytes } from '../helpers/real-data.js';
import { bucketOf, havendOffline, objectStorageOf, s3CliWorld, settledOnS3 } from '../helpers/s3-datastore.js';
import { damagePayload, firstDataRecord } from '../helpers/segment-damage.js';
import { tempDir } from '../helpers/tmp.js';

const FILES = 3;
const FILE_BYTES = 1 << 20;

describeOnCeph('verification and drills on segments only in the bucket', (labOf) => {
  test('a drill passes reading evicted segments; verify finds a byte flipped in a segment object in the bucket', { timeout: 150_000 }, async (t) => {
    const { w, env } = await s3CliWorld(t, labOf(), { HAVEND_DATASTORE_S3_CACHE_BYTES: String(256 * 1024) });
    const admin = w.daemon.client(w.token);
    const work = tempDir(t);
    mkdirSync(join(work, 'data'));
    for (let i = 0; i < FILES; i++) writeFileSync(join(work, 'data', `f${i}`), seededBytes(FILE_BYTES, `evicted-${i}`));
    const snapshot = (await w.json<{ snapshot: { id: string } }>(['backup', '--group', 'web', 'data'], { cwd: work })).snapshot.id;
    await settledOnS3(w);
    await admin.json('PUT', '/api/v1/plan/web', { rpo: '1d', rto: '1w' });

    const fetched = async (): Promise<number> => (await objectStorageOf(w.daemon, w.token)).fetchedBytes;
    let before = await fetched();
    const drill = await havendOffline(['drill', 'web', '--wait', '--json', '--data', w.dataDir], env);
    const run = JSON.parse(drill.stdout) as DrillRun;
    assert.equal(drill.code, EXIT.ok, drill.stdout + drill.stderr);
    assert.equal(run.result, 'passed');
    assert.equal(run.filesCompared, FILES);
    assert.ok(await fetched() >= before + FILE_BYTES, 'the drill read evicted segments from the bucket');

    const verify = async (): Promise<{ code: number | null; run: VerifyRun; damagedSnapshots: DamagedSnapshot[] }> => {
      const r = await havendOffline(['verify', '--wait', '--json', '--data', w.dataDir], env);
      return { code: r.code, ...(JSON.parse(r.stdout) as { run: VerifyRun; damagedSnapshots: DamagedSnapshot[] }) };
    };
    before = await fetched();
    const clean = await verify();
    assert.equal(clean.code, EXIT.ok, JSON.stringify(clean));
    assert.ok(await fetched() >= before + FILE_BYTES, 'verify re-read evicted segments from the bucket');

    // A byte flips in the bucket's copy of the segment holding the first data record.
    const bucket = bucketOf(labOf(), env);
    t.after(() => bucket.close());
    const copy = join(tempDir(t), 'ds');
    await fetchDatastoreFromBucket(copy, bucket);
    const victim = await firstDataRecord(copy);
    const name = relative(copy, victim.path);
    assert.equal(existsSync(join(w.dataDir, 'datastore', name)), false, `${name} is not in the local cache`);
    damagePayload(victim);
    await bucket.put(name, readFileSync(victim.path));

    const found = await verify();
    assert.equal(found.code, EXIT.failure, JSON.stringify(found));
    assert.equal(found.run.summary?.damagedObjects, 1);
    assert.deepEqual(found.damagedSnapshots.map((d) => [d.id, d.digests]), [[snapshot, [victim.digest]]]);
  });
});
