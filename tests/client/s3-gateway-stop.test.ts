// The Ceph gateway stopped (SIGSTOP: requests hang, as on a full cluster) in the middle of
// backups through the real havend and `haven` client, the datastore on S3. A backup that fits
// in the local upload queue completes while the gateway is silent and `havend info --json`
// shows the queue; one that would overflow datastore.s3.queueBytes fails with the typed
// storage error (STORAGE_BACKEND_UNAVAILABLE, client exit code 10) instead of losing data;
// once the gateway answers again the queue drains, the refused backup goes through, every
// committed snapshot restores bit-exact from the bucket and `havend store check` is clean.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonInfo } from '../../daemon/src/cli/info.js';
import { describeOnCeph } from '../helpers/ceph.js';
import { seededBytes } from '../helpers/real-data.js';
import { assertStoreCheckClean, havendOffline, s3CliWorld, settledOnS3 } from '../helpers/s3-datastore.js';
import { tempDir } from '../helpers/tmp.js';

const MiB = 1 << 20;

describeOnCeph('the Ceph gateway stopped during backups to a datastore on S3', (labOf) => {
  test('a backup that fits the queue completes and its segments go up later; one that would overflow it is refused with the typed error; nothing committed is lost', { timeout: 150_000 }, async (t) => {
    const queueBytes = 5 * MiB;
    const { w, env } = await s3CliWorld(t, labOf(), {
      HAVEND_DATASTORE_S3_QUEUE_BYTES: String(queueBytes),
      HAVEND_DATASTORE_S3_CACHE_BYTES: String(MiB),
      HAVEND_DATASTORE_S3_REQUEST_TIMEOUT_MS: '2000',
    });
    const work = tempDir(t);
    /** A source of `files` incompressible files of 1 MiB (so chunks and segments are real data). */
    const source = (name: string, files: number): string => {
      const dir = join(work, name);
      mkdirSync(dir);
      for (let i = 0; i < files; i++) writeFileSync(join(dir, `f${i}`), seededBytes(MiB, `${name}-${i}`));
      return name;
    };
    const backup = (name: string) => w.run(['backup', '--group', name, '--json', name], { cwd: work });
    const info = async (): Promise<NonNullable<DaemonInfo['objectStorage']>> => {
      const r = await havendOffline(['info', '--data', w.dataDir, '--json'], env, 30_000);
      assert.equal(r.code, 0, r.stderr);
      const s = (JSON.parse(r.stdout) as DaemonInfo).objectStorage;
      assert.ok(s, 'havend info shows the bucket');
      return s;
    };
    const sources = new Map<string, number>([['before', 2], ['during', 3], ['overflow', 8]]);

    assert.equal((await backup(source('before', 2))).code, 0);
    await settledOnS3(w);

    labOf().pauseGateway();
    t.after(() => labOf().resumeGateway());
    const during = await backup(source('during', 3));
    assert.equal(during.code, 0, `the backup completes while the gateway is silent: ${during.stderr}`);
    const queued = await info();
    assert.ok(queued.notUploadedBytes >= 2 * MiB, `the backup's bytes wait locally: ${JSON.stringify(queued)}`);
    assert.ok(queued.pendingSegments >= 1, 'sealed segments queue for upload');

    const overflow = await backup(source('overflow', 8));
    assert.equal(overflow.code, 10, `refused with the appliance-storage exit code: ${overflow.stderr}`);
    assert.match(overflow.stderr, /STORAGE_BACKEND_UNAVAILABLE|object storage/);
    const full = await info();
    assert.ok(full.pendingBytes > queueBytes, `the queue is past queueBytes: ${JSON.stringify(full)}`);

    labOf().resumeGateway();
    await settledOnS3(w); // bounded: allUploaded's 60 s
    assert.equal((await info()).notUploadedBytes, 0, 'havend info shows the queue drained');
    const retried = await backup('overflow');
    assert.equal(retried.code, 0, `accepted again once the queue drained: ${retried.stderr}`);
    await settledOnS3(w);

    for (const [name, files] of sources) {
      const target = join(tempDir(t), 'restore');
      const r = await w.run(['restore', 'latest', '--group', name, '--target', target]);
      assert.equal(r.code, 0, r.stderr);
      for (let i = 0; i < files; i++) {
        assert.ok(readFileSync(join(target, name, `f${i}`)).equals(seededBytes(MiB, `${name}-${i}`)), `${name}/f${i} restores bit-exact`);
      }
    }
    await w.daemon.stop();
    await assertStoreCheckClean(w.dataDir, env);
  });
});
