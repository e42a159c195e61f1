// End to end with the datastore on S3 (issue 19): a real havend whose datastore.backend is s3
// against a real Ceph RADOS Gateway, backups and restores by the real client. Three times a
// backup is cut by SIGKILL while its segments are uploading; each restart uploads what was
// left queued (`havend info --json` shows the bytes not yet uploaded drop to zero), the
// snapshots made restore bit-exact (the cache is small, so most reads are ranged GETs), and
// `havend store check` is clean. Then the appliance is "lost": `havend store rebuild-index`
// on a fresh state directory pointed at the bucket yields the same snapshots, which restore
// bit-exact from there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonInfo } from '../../daemon/src/cli/info.js';
import { runBounded } from '../helpers/bounded-run.js';
import { HAVEND, createToken, startDaemon, type Daemon } from '../helpers/daemon.js';
import { describeOnCeph } from '../helpers/ceph.js';
import { haven } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

const MiB = 1 << 20;
const FILES = 3;
const KILLS = Number(process.env.HAVEN_RELIABILITY === '1' ? 20 : 3);

function ownEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEN_') && !k.startsWith('HAVEND_')));
}

describeOnCeph('havend with its datastore on S3 (Ceph RADOS Gateway)', (labOf) => {

  test(`backups cut by SIGKILL ${KILLS} times lose nothing; pending segments go up at restart; check clean; rebuild from the bucket alone`, { timeout: 240_000 }, async (t) => {
    const s3Env = {
      HAVEND_DATASTORE_BACKEND: 's3',
      HAVEND_DATASTORE_S3_ENDPOINT: labOf().endpoint,
      HAVEND_DATASTORE_S3_BUCKET: `haven-e2e-${process.pid}`,
      HAVEND_DATASTORE_S3_PREFIX: 'appliance-1/',
      HAVEND_DATASTORE_S3_CREDENTIALS_FILE: labOf().credentialsFile,
      HAVEND_DATASTORE_S3_CACHE_BYTES: String(2 * MiB),
      HAVEND_DATASTORE_S3_IDLE_SEAL_SECONDS: '1',
      HAVEND_DATASTORE_S3_REQUEST_TIMEOUT_MS: '20000',
      HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(MiB),
      HAVEND_DATASTORE_DIRECT_IO: 'false',
    };
    const t0 = Date.now();
    const mark = (what: string): void => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    const dataDir = tempDir(t);
    const home = tempDir(t, 'haven-home-');
    const work = tempDir(t);
    let token = createToken(dataDir, 'admin');
    let daemon: Daemon = await startDaemon(null, { dataDir, env: s3Env });
    t.after(() => daemon.stop());
    const clientEnv = () => ({ HAVEN_SERVER: daemon.url, HAVEN_TOKEN: token, HAVEN_CACHE_DIR: `${home}/cache`, XDG_CONFIG_HOME: `${home}/config`, HOME: home });
    const client = (args: string[], cwd = work, timeoutMs?: number) => haven(args, { env: clientEnv(), cwd, ...(timeoutMs ? { timeoutMs } : {}) });
    const writeData = (seed: string, dir = work): void => {
      rmSync(join(dir, 'data'), { recursive: true, force: true });
      mkdirSync(join(dir, 'data'));
      for (let i = 0; i < FILES; i++) writeFileSync(join(dir, 'data', `file-${i}`), seededBytes(MiB + i * 4099, `${seed}-${i}`));
    };
    const info = async (dir: string): Promise<DaemonInfo> => {
      const r = await runBounded(HAVEND, ['info', '--data', dir, '--json'], { env: { ...ownEnv(), ...s3Env }, timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as DaemonInfo;
    };
    /** Waits (bounded) until everything committed is in the bucket. */
    const allUploaded = async (dir: string): Promise<DaemonInfo> => {
      for (let i = 0; i < 150; i++) {
        const s = await info(dir);
        if (s.objectStorage && s.objectStorage.notUploadedBytes === 0) return s;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`uploads did not drain: ${JSON.stringify((await info(dir)).objectStorage)}`);
    };

    const kept = new Map<string, string>(); // snapshot id -> seed
    const backup = async (seed: string): Promise<string> => {
      writeData(seed);
      const r = await client(['backup', '--group', 'web', '--json', 'data']);
      assert.equal(r.code, 0, r.stderr);
      const id = (JSON.parse(r.stdout) as { snapshot: { id: string } }).snapshot.id;
      kept.set(id, seed);
      return id;
    };
    await backup('first');
    mark('first backup');
    const first = await allUploaded(dataDir);
    assert.equal(first.objectStorage?.bucket, s3Env.HAVEND_DATASTORE_S3_BUCKET);
    assert.ok((first.objectStorage?.uploadedSegments ?? 0) >= 1, `${first.objectStorage?.uploadedSegments} segments uploaded`);

    const cut: Array<Promise<unknown>> = [];
    for (let k = 0; k < KILLS; k++) {
      const dir = tempDir(t);
      writeData(`cut-${k}`, dir);
      // The cut client retries against the dead daemon's port; it is killed after 10 s. Whatever
      // it committed before the kill must survive like any snapshot (the listing checks below).
      cut.push(client(['backup', '--group', 'web', '--json', 'data'], dir, 10_000));
      // Killed while the backup's segments are being written and uploaded.
      await new Promise((r) => setTimeout(r, 250 + 150 * k));
      await daemon.stop('SIGKILL');
      daemon = await startDaemon(null, { dataDir, env: s3Env });
      mark('restarted');
      await allUploaded(dataDir);
      mark('uploaded after the restart');
    }
    await backup('last');
    await allUploaded(dataDir);
    await Promise.all(cut);
    mark('cut clients done');

    const restoreAll = async (): Promise<void> => {
      for (const [id, seed] of kept) {
        const target = join(tempDir(t), 'restore');
        const r = await client(['restore', id, '--target', target]);
        assert.equal(r.code, 0, r.stderr);
        for (let i = 0; i < FILES; i++) {
          assert.ok(readFileSync(join(target, 'data', `file-${i}`)).equals(seededBytes(MiB + i * 4099, `${seed}-${i}`)), `${id} data/file-${i} restores bit-exact`);
        }
      }
    };
    await restoreAll();
    mark('restored');
    const snapshotIds = async (): Promise<string[]> => {
      const r = await client(['snapshots', '--json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { snapshots: Array<{ id: string }> }).snapshots.map((s) => s.id).sort();
    };
    const before = await snapshotIds();
    assert.ok([...kept.keys()].every((id) => before.includes(id)), 'every completed backup is listed');
    assert.ok((await info(dataDir)).objectStorage!.fetchedBytes > 0, 'restores read segments from the bucket');
    await daemon.stop();
    mark('stopped');

    const check = await runBounded(HAVEND, ['store', 'check', '--data', dataDir], { env: { ...ownEnv(), ...s3Env }, timeoutMs: 120_000 });
    assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
    mark('checked');

    // The appliance is lost; a new one has the bucket.
    const fresh = tempDir(t);
    const rebuilt = await runBounded(HAVEND, ['store', 'rebuild-index', '--data', fresh, '--json'], { env: { ...ownEnv(), ...s3Env }, timeoutMs: 120_000 });
    assert.equal(rebuilt.code, 0, `${rebuilt.stdout}\n${rebuilt.stderr}`);
    assert.equal((JSON.parse(rebuilt.stdout) as { snapshots: number }).snapshots, before.length);
    mark('rebuilt');
    token = createToken(fresh, 'admin');
    daemon = await startDaemon(null, { dataDir: fresh, env: s3Env });
    assert.deepEqual(await snapshotIds(), before, 'the same snapshots');
    assert.equal((await info(fresh)).objectStorage?.pendingSegments, 0, 'nothing uploaded again');
    await restoreAll();
  });
});
