// The chunk store with its segments in S3, against a real Ceph RADOS Gateway (tests/helpers/ceph.ts):
// sealed segments are uploaded and verified, evicted ones read back with ranged GETs, segments
// sealed before a crash are uploaded at the next start, a multipart upload's ETag checks out,
// an unreachable or silent gateway surfaces as the typed error, and a rebuild from the bucket
// alone registers the same snapshot. The credentials file's rules need no gateway.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HavenError } from '../../core/src/errors.js';
import { sha256 } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { encodeSnapshot } from '../../core/src/objects/snapshot.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { registerSnapshot } from '../../daemon/src/store/snapshot-index.js';
import { rebuildIndex } from '../../daemon/src/store/rebuild-index.js';
import { segmentPath } from '../../daemon/src/store/segment-files.js';
import { S3Bucket } from '../../daemon/src/store/s3/s3-bucket.js';
import { readS3Credentials } from '../../daemon/src/store/s3/s3-credentials.js';
import { fetchDatastoreFromBucket, markBucketSegmentsUploaded } from '../../daemon/src/store/s3/s3-rebuild.js';
import { S3SegmentBackend, type S3BackendOptions } from '../../daemon/src/store/s3/s3-segment-backend.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { describeOnCeph } from '../helpers/ceph.js';
import { makeObject, sampleBackup, type TestObject } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';
import { append, assertCheckClean, readsBack } from './store-harness.js';
import { backupOf, commitBackup, gcHarness } from '../gc/gc-harness.js';

const pool = createVerifyPool({ threads: 1 });
after(() => pool.close());
const quiet = process.env.S3_TEST_LOG ? { info: console.log, warn: console.log } : { info: () => undefined, warn: () => undefined };

function isCode(code: string) {
  return (err: unknown): boolean => err instanceof HavenError && err.code === code;
}

describe('S3 credentials file', () => {
  test('key lines with or without export are read; a file others can read is refused', (t) => {
    const file = join(tempDir(t), 'creds');
    writeFileSync(file, '# lab\nexport AWS_ACCESS_KEY_ID=AKID\nAWS_SECRET_ACCESS_KEY="s3cr3t"\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    assert.deepEqual(readS3Credentials(file), { accessKeyId: 'AKID', secretAccessKey: 's3cr3t' });
    chmodSync(file, 0o644);
    assert.throws(() => readS3Credentials(file), (err) => isCode('S3_CREDENTIALS_INVALID')(err) && /0644/.test((err as Error).message));
    writeFileSync(file, 'AWS_ACCESS_KEY_ID=AKID\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    assert.throws(() => readS3Credentials(file), isCode('S3_CREDENTIALS_INVALID'));
  });

  test('a gateway that never answers fails the request after the timeout, as the typed error', async (t) => {
    const sockets: Array<import('node:net').Socket> = [];
    const silent: Server = createServer((s) => void sockets.push(s)); // accepts, never answers (a full Ceph cluster's PUT)
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    t.after(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const file = join(tempDir(t), 'creds');
    writeFileSync(file, 'AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\n', { mode: 0o600 });
    const port = (silent.address() as { port: number }).port;
    const bucket = new S3Bucket({ endpoint: `http://127.0.0.1:${port}`, bucket: 'b', prefix: '', region: 'us-east-1', credentialsFile: file, caFile: '', requestTimeoutMs: 1000 });
    await assert.rejects(bucket.ensureBucket(), (err) => isCode('STORAGE_BACKEND_UNAVAILABLE')(err) && /no answer within 1000 ms/.test((err as Error).message));
    bucket.close();
  });
});

describeOnCeph('chunk store on S3 (Ceph RADOS Gateway)', (labOf) => {

  let buckets = 0;
  function options(over: Partial<S3BackendOptions> = {}): S3BackendOptions {
    return {
      endpoint: labOf().endpoint, bucket: `haven-test-${process.pid}-${++buckets}`, prefix: 'ds/', region: 'us-east-1',
      credentialsFile: labOf().credentialsFile, caFile: '', requestTimeoutMs: 20_000,
      cacheBytes: 0, queueBytes: 64 << 20, idleSealSeconds: 3600, ...over,
    };
  }

  async function openOn(root: string, opts: S3BackendOptions, segmentMaxBytes = 1 << 20): Promise<{ store: ChunkStore; backend: S3SegmentBackend }> {
    const backend = await S3SegmentBackend.open(opts, quiet);
    const store = await ChunkStore.open(root, { create: true, segmentMaxBytes, directIo: false, backend });
    return { store, backend };
  }

  /** One append per object, so segments fill and rotate (one append call fills one segment). */
  async function appendEach(store: ChunkStore, objects: readonly TestObject[]): Promise<void> {
    for (const o of objects) await append(store, [o]);
  }

  async function withSnapshot(store: ChunkStore, root: TestObject): Promise<string> {
    const record = { group: 'g', time: Date.now(), host: hostname(), paths: ['/srv'], tags: [], root: root.digest, session: 's3', stats: {} };
    const raw = encodeSnapshot(record);
    return (await store.writeOwnObject(ObjectKind.snapshot, raw, () => registerSnapshot(store.index, sha256(raw), record))).toString('hex');
  }

  test('sealed segments go to the bucket verified; evicted ones read back with ranged GETs; rebuild from the bucket alone', async (t) => {
    const root = join(tempDir(t), 'ds');
    const opts = options();
    const b = sampleBackup(12, 200_001);
    let { store, backend } = await openOn(root, opts, 512 * 1024);
    await appendEach(store, b.objects);
    const snapshot = await withSnapshot(store, b.root);
    await store.close(); // graceful: the open segment is sealed and uploaded
    const bucket = new S3Bucket(opts);
    t.after(() => bucket.close());
    const names = (await bucket.list('')).map((o) => o.name);
    assert.ok(names.includes('haven-datastore.json'), 'identity in the bucket');
    const segs = names.filter((n) => n.endsWith('.seg'));
    assert.ok(segs.length >= 4, `${segs.length} segment objects: ${names.join(' ')}`);
    assert.equal(backend.status().pendingSegments, 0);

    // cacheBytes 0: every uploaded segment was evicted; reads are ranged GETs
    ({ store, backend } = await openOn(root, opts, 512 * 1024));
    assert.equal(existsSync(segmentPath(root, 1)), false, 'segment 1 evicted from the cache');
    await readsBack(store, b.objects);
    assert.ok(backend.status().fetchedBytes > 0, 'read from the bucket');
    await store.close();

    // The appliance burns: a new state directory and the bucket.
    const fresh = join(tempDir(t), 'new-ds');
    await fetchDatastoreFromBucket(fresh, bucket);
    const report = await rebuildIndex(fresh, pool);
    assert.equal(report.snapshots, 1);
    await markBucketSegmentsUploaded(fresh, bucket, 16 << 20);
    await assertCheckClean(fresh, pool);
    ({ store, backend } = await openOn(fresh, opts, 512 * 1024));
    assert.deepEqual([...store.index.snapshots.getKeys()].map((k) => Buffer.from(k).toString('hex')), [snapshot]);
    assert.equal(backend.status().pendingSegments, 0, 'nothing uploaded again');
    // the newest fetched segment is in the bucket: appends must not go into it
    const uploaded = [...store.index.uploaded.getKeys()].map(Number);
    assert.ok(store.position().segment > Math.max(...uploaded), `appends go to segment ${store.position().segment}, past the bucket's ${uploaded.join(', ')}`);
    await readsBack(store, b.objects);
    await store.close();
  });

  test('segments sealed before a crash (never uploaded) are uploaded at the next start', async (t) => {
    const root = join(tempDir(t), 'ds');
    const objects = Array.from({ length: 12 }, () => makeObject(ObjectKind.data, randomBytes(100_000)));
    // Written without the backend: sealed segments and no `uploaded` entries, as a crash before the upload leaves them.
    let store = await ChunkStore.open(root, { create: true, segmentMaxBytes: 300_000, directIo: false });
    await appendEach(store, objects);
    await store.flush();
    await store.close();
    const opts = options({ cacheBytes: 1 << 30 });
    const opened = await openOn(root, opts, 300_000);
    store = opened.store;
    assert.ok(await opened.backend.drain(30_000), 'uploaded');
    assert.ok(store.index.uploaded.getKeysCount() >= 3, `${store.index.uploaded.getKeysCount()} segments uploaded`);
    const bucket = new S3Bucket(opts);
    t.after(() => bucket.close());
    assert.equal((await bucket.list('segments/')).length, store.index.uploaded.getKeysCount());
    await readsBack(store, objects);
    await store.close();
    await assertCheckClean(root, pool);
  });

  test('a segment larger than one part goes up in parts and its multipart ETag checks out', async (t) => {
    const root = join(tempDir(t), 'ds');
    const opts = options({ partBytes: 5 << 20, cacheBytes: 0 });
    const objects = Array.from({ length: 3 }, () => makeObject(ObjectKind.data, randomBytes(4 << 20)));
    const { store } = await openOn(root, opts, 16 << 20);
    await appendEach(store, objects);
    await store.close();
    const bucket = new S3Bucket(opts);
    t.after(() => bucket.close());
    const again = await openOn(root, opts, 16 << 20);
    const entry = again.store.index.uploaded.get(1);
    assert.match(entry?.etag ?? '', /^[0-9a-f]{32}-3$/, 'three parts');
    await readsBack(again.store, objects);
    await again.store.close();
  });

  test('compaction on objects: the old objects go after the index switch, kept snapshots read back from the bucket, no orphan is left; GC deletes an orphan object and no live one', async (t) => {
    const opts = options();
    const backend = await S3SegmentBackend.open(opts, quiet);
    const h = await gcHarness(t, 256 * 1024, backend);
    const shared = backupOf(6, 4096).data;
    const backups = [backupOf(30, 8192, shared), backupOf(30, 8192, shared), backupOf(30, 8192, shared)];
    const snaps = [];
    for (const b of backups) snaps.push(await commitBackup(h, 'g', [...shared, ...b.objects], b.root));
    await h.store.sealOpenSegment();
    assert.ok(await backend.drain(30_000));
    const bucket = new S3Bucket(opts);
    t.after(() => bucket.close());
    const segmentObjects = async (): Promise<number[]> => (await bucket.list('segments/')).map((o) => Number(/(\d+)\.seg$/.exec(o.name)?.[1])).sort((a, b) => a - b);
    const uploadedBefore = await segmentObjects();
    await h.catalog.delete(snaps[0]!.id, 'test');
    await h.catalog.delete(snaps[1]!.id, 'test');
    await h.gc();
    const second = await h.gc();
    assert.ok(second.compaction.segments > 0, 'segments were compacted');
    await h.store.sealOpenSegment();
    assert.ok(await backend.drain(30_000));
    const now = await segmentObjects();
    const gone = uploadedBefore.filter((id) => !now.includes(id));
    assert.equal(gone.length, second.compaction.segments, `compacted segments ${gone.join(',')} deleted from the bucket`);
    assert.deepEqual(now, [...h.store.index.uploaded.getKeys()].map(Number), 'every object is a segment the index knows: no orphan, none missing');
    await readsBack(h.store, [...shared, ...backups[2]!.objects]);

    // A crash between a compaction's unlink and its object's delete, after the entries went:
    // the compacted segment's object is back in the bucket, known to no index entry.
    const orphan = gone[0] as number;
    const live = (await bucket.list('segments/')).find((o) => o.name.endsWith(`${String(now[0]).padStart(8, '0')}.seg`));
    assert.ok(live, 'a live object to copy');
    const orphanName = live.name.replace(/\d{8}\.seg$/, `${String(orphan).padStart(8, '0')}.seg`);
    await bucket.put(orphanName, (await bucket.getAll(live.name)) as Buffer);
    assert.ok((await segmentObjects()).includes(orphan));
    const third = await h.gc();
    assert.deepEqual(await segmentObjects(), now, 'the orphan is deleted and every live object kept');
    assert.ok(third.compaction.bytesFreed >= live.size, `bytesFreed ${third.compaction.bytesFreed} counts the orphan's ${live.size} bytes`);
    await readsBack(h.store, [...shared, ...backups[2]!.objects]);
  });

  test('a gateway that stops answering mid-backup: appends go on into the local queue, past queueBytes they are refused, and uploads resume when it answers again', async (t) => {
    const root = join(tempDir(t), 'ds');
    const opts = options({ queueBytes: 700_000, requestTimeoutMs: 1500, cacheBytes: 1 << 30 });
    const { store, backend } = await openOn(root, opts, 256 * 1024);
    const objects: TestObject[] = [];
    const add = async (): Promise<void> => {
      const o = makeObject(ObjectKind.data, randomBytes(100_000));
      await append(store, [o]);
      objects.push(o);
    };
    await add();
    await store.flush();
    labOf().pauseGateway();
    t.after(() => labOf().resumeGateway());
    let refused: unknown = null;
    for (let i = 0; i < 30 && refused === null; i++) await add().catch((err: unknown) => (refused = err));
    assert.ok(objects.length >= 8, `${objects.length} objects accepted while the gateway was silent`);
    assert.ok(isCode('STORAGE_BACKEND_UNAVAILABLE')(refused), String(refused));
    await store.flush();
    assert.ok(backend.status().notUploadedBytes > 700_000);
    labOf().resumeGateway();
    assert.ok(await backend.drain(60_000), 'the queue drains once the gateway answers');
    await add();
    await store.close();
    const again = await openOn(root, { ...opts, cacheBytes: 0 }, 256 * 1024);
    await readsBack(again.store, objects);
    assert.ok(again.backend.status().fetchedBytes > 0);
    await again.store.close();
  });

  test('while the gateway is unreachable appends are accepted until the upload queue is full, then refused with the typed error', async (t) => {
    const root = join(tempDir(t), 'ds');
    const good = options();
    const backend = new S3SegmentBackend(new S3Bucket({ ...good, endpoint: 'http://127.0.0.1:9', requestTimeoutMs: 1000 }), { ...good, queueBytes: 600_000 }, quiet);
    const store = await ChunkStore.open(root, { create: true, segmentMaxBytes: 256 * 1024, directIo: false, backend });
    let refused: unknown = null;
    let accepted = 0;
    for (let i = 0; i < 20 && refused === null; i++) {
      try {
        await append(store, [makeObject(ObjectKind.data, randomBytes(100_000))]);
        accepted++;
      } catch (err) {
        refused = err;
      }
    }
    assert.ok(accepted >= 6, `${accepted} appends accepted before the queue filled`);
    assert.ok(isCode('STORAGE_BACKEND_UNAVAILABLE')(refused), String(refused));
    assert.match((refused as Error).message, /queueBytes/);
    await store.flush();
    await store.index.close(); // abandon: the queue stays on disk for the next start
  });
});
