// The chunk store's conformance suite (after Kopia's blobtesting/verify.go): the same cases
// against every segment file — direct (O_DIRECT), buffered, and the faulty one wrapping
// each with short writes, which sends every append through the retry paths. Appends read
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
import { registerSnapshot } from '../../daemon/src/store/snapshot-index.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { makeObject, sampleBackup, textLike, type TestObject } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';
import { FaultySegmentFs } from './faulty-segment-file.js';
import { abandon, append, assertCheckClean, BASES, openStore, readsBack, type SegmentBase } from './store-harness.js';

const pool = createVerifyPool({ threads: 1 });
after(() => pool.close());

interface Variant {
  name: string;
  base: SegmentBase;
  /** A fresh segment file system per store opened, or undefined for the default (node:fs). */
  fs(): FaultySegmentFs | undefined;
}

const VARIANTS: Variant[] = BASES.flatMap((base) => [
  { name: base.name, base, fs: () => undefined },
  { name: `faulty (short writes) over ${base.name}`, base, fs: () => new FaultySegmentFs().shortWrites() },
]);

function mixedObjects(n: number, seed: number): TestObject[] {
  // incompressible and zstd records of odd sizes, so records straddle 4 KiB blocks
  return Array.from({ length: n }, (_, i) =>
    i % 3 === 0 ? makeObject(ObjectKind.data, textLike(20_000 + i * 777, seed + i), true) : makeObject(ObjectKind.data, randomBytes(10_000 + i * 4_099)));
}

/** The faulty variants must really have cut writes short, or they tested nothing extra. */
function assertFaultsHit(fs: FaultySegmentFs | undefined): void {
  if (fs) assert.ok(fs.shortened > 0, 'writes were cut short');
}

for (const v of VARIANTS) {
  describe(`chunk store on the ${v.name} segment file`, () => {
    test('appends, flushes and reads back; duplicates are skipped; a snapshot commits; reopening keeps everything', async (t) => {
      const root = join(tempDir(t), 'ds');
      const b = sampleBackup(10, 30_001);
      const objects = [...mixedObjects(8, 1), ...b.objects];
      const fs = v.fs();
      let store = await openStore(root, v.base, fs);
      assert.deepEqual(await append(store, objects), objects.map(() => true));
      assert.deepEqual(await append(store, objects.slice(0, 3)), [false, false, false], 'pending duplicates');
      await store.flush();
      assert.deepEqual(await append(store, objects.slice(0, 3)), [false, false, false], 'indexed duplicates');
      await readsBack(store, objects);
      const record = { group: 'g', time: Date.now(), host: hostname(), paths: ['/srv'], tags: [], root: b.root.digest, session: 'conformance', stats: {} };
      const raw = encodeSnapshot(record);
      await store.writeOwnObject(ObjectKind.snapshot, raw, () => registerSnapshot(store.index, sha256(raw), record));
      await store.close();
      assertFaultsHit(fs);

      const report = await assertCheckClean(root, pool);
      assert.deepEqual(
        [report.records, report.indexedObjects, report.unindexedRecords, report.snapshots, report.reachableObjects],
        [objects.length + 1, objects.length + 1, 0, 1, b.objects.length],
      );

      // Reopened: nothing to recover, and appends continue after the old end.
      store = await openStore(root, v.base, v.fs());
      assert.deepEqual([store.recovery.recoveredRecords, store.recovery.truncatedBytes], [0, 0]);
      await readsBack(store, objects);
      const more = mixedObjects(5, 100);
      await append(store, more);
      await store.flush();
      await readsBack(store, [...objects, ...more]);
      await store.close();
      assert.equal((await assertCheckClean(root, pool)).records, objects.length + 1 + more.length);
    });

    test('segments rotate at their size limit and every segment reads back after a reopen', async (t) => {
      const root = join(tempDir(t), 'ds');
      const max = 256 * 1024;
      const objects = Array.from({ length: 16 }, () => makeObject(ObjectKind.data, randomBytes(60_000)));
      const fs = v.fs();
      let store = await openStore(root, v.base, fs, max);
      for (let i = 0; i < objects.length; i += 4) {
        await append(store, objects.slice(i, i + 4));
        if (i % 8 === 0) await store.flush();
      }
      await store.flush();
      await readsBack(store, objects);
      await store.close();
      assertFaultsHit(fs);
      const report = await assertCheckClean(root, pool);
      assert.ok(report.segments >= 4, `${report.segments} segments`);
      store = await openStore(root, v.base, v.fs(), max);
      await readsBack(store, objects);
      await store.close();
    });

    test('records appended but never indexed are recovered after a crash', async (t) => {
      const root = join(tempDir(t), 'ds');
      // The plain files are wrapped too, without faults: only to crash them.
      const fs = v.fs() ?? new FaultySegmentFs();
      const store = await openStore(root, v.base, fs);
      const committed = mixedObjects(4, 7);
      const unindexed = mixedObjects(3, 70);
      await append(store, committed);
      await store.flush();
      await append(store, unindexed);
      await fs.crash();
      await abandon(store);

      const again = await openStore(root, v.base, v.fs());
      assert.equal(again.recovery.recoveredRecords, unindexed.length);
      await readsBack(again, [...committed, ...unindexed]);
      await again.close();
      const report = await assertCheckClean(root, pool);
      assert.deepEqual([report.records, report.indexedObjects], [7, 7]);
    });
  });
}
