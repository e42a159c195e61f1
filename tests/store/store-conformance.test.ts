// The chunk store's conformance suite (after Kopia's blobtesting/verify.go): the same cases
// against every segment file — direct (O_DIRECT), buffered, and the faulty one wrapping
// each with short writes, which sends every append through the retry paths — and against
// the S3 backend on a real Ceph RADOS Gateway (one lab for the file) with a cache smaller
// than a segment, so sealed segments are evicted and read back by ranged GETs. Appends read
// back bit-exact from the segments, survive a reopen, records appended but never indexed
// are recovered after a crash, and `store check` is clean after each.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { encodeSnapshot } from '../../core/src/objects/snapshot.js';
import { S3Bucket } from '../../daemon/src/store/s3/s3-bucket.js';
import { fetchDatastoreFromBucket } from '../../daemon/src/store/s3/s3-rebuild.js';
import { S3SegmentBackend, type S3BackendOptions } from '../../daemon/src/store/s3/s3-segment-backend.js';
import type { SegmentBackend } from '../../daemon/src/store/segment-backend.js';
import { registerSnapshot } from '../../daemon/src/store/snapshot-index.js';
import type { CheckReport } from '../../daemon/src/store/store-check.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { describeOnCeph, type CephLab } from '../helpers/ceph.js';
import { makeObject, sampleBackup, textLike, type TestObject } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';
import { FaultySegmentFs } from './faulty-segment-file.js';
import { abandon, append, assertCheckClean, BASES, openStore, readsBack, type SegmentBase } from './store-harness.js';
import type { ChunkStore } from '../../daemon/src/store/chunk-store.js';

const pool = createVerifyPool({ threads: 1 });
after(() => pool.close());

interface Variant {
  name: string;
  base: SegmentBase;
  /** A fresh segment file system per store opened, or undefined for the default (node:fs). */
  fs(): FaultySegmentFs | undefined;
  /** A fresh backend per store opened on `root` (S3), or none (a plain directory). */
  backend?(root: string): Promise<SegmentBackend>;
  /** `havend store check` on the closed store at `root`: clean. */
  checkClean(root: string): Promise<CheckReport>;
  /** The variant's own machinery really ran (short writes, ranged GETs), or it tested nothing extra. */
  assertExercised(fs: FaultySegmentFs | undefined): void;
}

const VARIANTS: Variant[] = BASES.flatMap((base) => [
  { name: base.name, base, fs: () => undefined, checkClean: (root) => assertCheckClean(root, pool), assertExercised: () => undefined },
  {
    name: `faulty (short writes) over ${base.name}`, base, fs: () => new FaultySegmentFs().shortWrites(),
    checkClean: (root) => assertCheckClean(root, pool), assertExercised: assertFaultsHit,
  },
]);

/** Smaller than any segment the cases seal: every uploaded segment is evicted and read back by ranged GETs. */
const S3_CACHE_BYTES = 64 * 1024;

/** The S3 backend on the lab's gateway: one bucket per datastore directory. */
function s3Variant(lab: () => CephLab): Variant {
  const buckets = new Map<string, string>();
  const backends: S3SegmentBackend[] = [];
  const optionsFor = (root: string): S3BackendOptions => {
    if (!buckets.has(root)) buckets.set(root, `haven-conformance-${process.pid}-${buckets.size + 1}`);
    return {
      endpoint: lab().endpoint, bucket: buckets.get(root) as string, prefix: 'ds/', region: 'us-east-1',
      credentialsFile: lab().credentialsFile, caFile: '', requestTimeoutMs: 20_000,
      cacheBytes: S3_CACHE_BYTES, queueBytes: 64 << 20, idleSealSeconds: 3600,
    };
  };
  const quiet = { info: () => undefined, warn: () => undefined };
  return {
    name: 'S3 backend (Ceph RADOS Gateway, small cache) over buffered',
    base: BASES.find((b) => b.name === 'buffered') as SegmentBase,
    fs: () => undefined,
    backend: async (root) => {
      const backend = await S3SegmentBackend.open(optionsFor(root), quiet);
      backends.push(backend);
      return backend;
    },
    // As `havend store check` does on an S3 datastore: what the cache evicted is fetched first.
    checkClean: async (root) => {
      const bucket = new S3Bucket(optionsFor(root));
      try {
        await fetchDatastoreFromBucket(root, bucket);
      } finally {
        bucket.close();
      }
      return assertCheckClean(root, pool);
    },
    assertExercised: () => {
      const fetched = backends.splice(0).reduce((n, b) => n + b.status().fetchedBytes, 0);
      assert.ok(fetched > 0, 'evicted segments were read back with ranged GETs');
    },
  };
}

async function open(v: Variant, root: string, fs: FaultySegmentFs | undefined, segmentMaxBytes?: number): Promise<ChunkStore> {
  return openStore(root, v.base, fs, segmentMaxBytes, await v.backend?.(root));
}

function mixedObjects(n: number, seed: number): TestObject[] {
  // incompressible and zstd records of odd sizes, so records straddle 4 KiB blocks
  return Array.from({ length: n }, (_, i) =>
    i % 3 === 0 ? makeObject(ObjectKind.data, textLike(20_000 + i * 777, seed + i), true) : makeObject(ObjectKind.data, randomBytes(10_000 + i * 4_099)));
}

/** The faulty variants must really have cut writes short, or they tested nothing extra. */
function assertFaultsHit(fs: FaultySegmentFs | undefined): void {
  if (fs) assert.ok(fs.shortened > 0, 'writes were cut short');
}

for (const v of VARIANTS) describe(`chunk store on the ${v.name} segment file`, () => conformanceCases(v));

describeOnCeph('chunk store on S3', (lab) => conformanceCases(s3Variant(lab)));

function conformanceCases(v: Variant): void {
    test('appends, flushes and reads back; duplicates are skipped; a snapshot commits; reopening keeps everything', async (t) => {
      const root = join(tempDir(t), 'ds');
      const b = sampleBackup(10, 30_001);
      const objects = [...mixedObjects(8, 1), ...b.objects];
      const fs = v.fs();
      let store = await open(v, root, fs);
      assert.deepEqual(await append(store, objects), objects.map(() => true));
      assert.deepEqual(await append(store, objects.slice(0, 3)), [false, false, false], 'pending duplicates');
      await store.flush();
      assert.deepEqual(await append(store, objects.slice(0, 3)), [false, false, false], 'indexed duplicates');
      await readsBack(store, objects);
      const record = { group: 'g', time: Date.now(), host: hostname(), paths: ['/srv'], tags: [], root: b.root.digest, session: 'conformance', stats: {} };
      const raw = encodeSnapshot(record);
      await store.writeOwnObject(ObjectKind.snapshot, raw, () => registerSnapshot(store.index, sha256(raw), record));
      await store.close();

      const report = await v.checkClean(root);
      assert.deepEqual(
        [report.records, report.indexedObjects, report.unindexedRecords, report.snapshots, report.reachableObjects],
        [objects.length + 1, objects.length + 1, 0, 1, b.objects.length],
      );

      // Reopened: nothing to recover, and appends continue after the old end.
      store = await open(v, root, v.fs());
      assert.deepEqual([store.recovery.recoveredRecords, store.recovery.truncatedBytes], [0, 0]);
      await readsBack(store, objects);
      const more = mixedObjects(5, 100);
      await append(store, more);
      await store.flush();
      await readsBack(store, [...objects, ...more]);
      await store.close();
      v.assertExercised(fs);
      assert.equal((await v.checkClean(root)).records, objects.length + 1 + more.length);
    });

    test('segments rotate at their size limit and every segment reads back after a reopen', async (t) => {
      const root = join(tempDir(t), 'ds');
      const max = 256 * 1024;
      const objects = Array.from({ length: 16 }, () => makeObject(ObjectKind.data, randomBytes(60_000)));
      const fs = v.fs();
      let store = await open(v, root, fs, max);
      for (let i = 0; i < objects.length; i += 4) {
        await append(store, objects.slice(i, i + 4));
        if (i % 8 === 0) await store.flush();
      }
      await store.flush();
      await readsBack(store, objects);
      await store.close();
      const report = await v.checkClean(root);
      assert.ok(report.segments >= 4, `${report.segments} segments`);
      store = await open(v, root, v.fs(), max);
      await readsBack(store, objects);
      await store.close();
      v.assertExercised(fs);
    });

    test('records appended but never indexed are recovered after a crash', async (t) => {
      const root = join(tempDir(t), 'ds');
      // The plain files are wrapped too, without faults: only to crash them.
      const fs = v.fs() ?? new FaultySegmentFs();
      const store = await open(v, root, fs);
      const committed = mixedObjects(4, 7);
      const unindexed = mixedObjects(3, 70);
      await append(store, committed);
      await store.flush();
      await append(store, unindexed);
      await fs.crash();
      await abandon(store);

      const again = await open(v, root, v.fs());
      assert.equal(again.recovery.recoveredRecords, unindexed.length);
      await readsBack(again, [...committed, ...unindexed]);
      await again.close();
      const report = await v.checkClean(root);
      assert.deepEqual([report.records, report.indexedObjects], [7, 7]);
    });
}
