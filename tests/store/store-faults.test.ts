// What the chunk store does when its disk fails, on the faulty segment file over the direct
// and the buffered one: a failed write or sync fails the append or flush with a typed error,
// cuts the segment back to its last whole record and commits nothing partial; once the fault
// is lifted the same store takes the same objects again, and `store check` is clean. A write
// torn by a crash is cut at the next start; a failed read is a typed error too.

import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { HavenError, type ErrorCode } from '../../core/src/errors.js';
import { DIRECT_BLOCK } from '../../core/src/fs/aligned-memory.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import type { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { RECORD_HEADER_BYTES } from '../../daemon/src/store/record-format.js';
import { segmentPath } from '../../daemon/src/store/segment-files.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { makeObject, type TestObject } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';
import { FaultySegmentFs } from './faulty-segment-file.js';
import { abandon, append, assertCheckClean, BASES, openStore, readsBack, recordBytes, type SegmentBase } from './store-harness.js';

const pool = createVerifyPool({ threads: 1 });
after(() => pool.close());

function chunks(n: number, bytes: number): TestObject[] {
  return Array.from({ length: n }, () => makeObject(ObjectKind.data, randomBytes(bytes)));
}

function typed(code: ErrorCode, message: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof HavenError, `a HavenError, not ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  };
}

/** A new store on the faulty segment file over `base`, no fault armed yet. */
async function faultyStore(t: TestContext, base: SegmentBase): Promise<{ root: string; fs: FaultySegmentFs; store: ChunkStore }> {
  const root = join(tempDir(t), 'ds');
  const fs = new FaultySegmentFs();
  return { root, fs, store: await openStore(root, base, fs) };
}

function notStored(store: ChunkStore, objects: readonly TestObject[]): void {
  for (const o of objects) assert.ok(!store.isIndexed(o.digest) && store.locate(o.digest) === undefined, 'nothing partial is stored');
}

for (const base of BASES) {
  describe(`faults under the ${base.name} segment file`, () => {
    test('EIO in the middle of an append fails it with STORAGE_IO; after the fault the same store takes the objects', async (t) => {
      const { root, fs, store } = await faultyStore(t, base);
      const objects = chunks(6, 40_000);
      await append(store, objects.slice(0, 2));
      await store.flush();
      await append(store, objects.slice(2, 3));
      // The disk fails mid-record: the first write moves half of it, the retry gets EIO.
      fs.shortWrites().failWritesAfter(1);
      await assert.rejects(append(store, objects.slice(3, 4)), typed('STORAGE_IO', /EIO/));
      assert.equal(fs.shortened, 1, 'part of the record reached the disk');
      await assert.rejects(append(store, objects.slice(3)), typed('STORAGE_IO', /EIO/));
      notStored(store, objects.slice(3));
      // cut back to the last whole record (a direct segment's zero padding included)
      assert.equal(statSync(segmentPath(root, 1)).size, recordBytes(objects.slice(0, 3)));

      fs.lift();
      assert.deepEqual(await append(store, objects.slice(3)), [true, true, true]);
      await store.flush();
      await readsBack(store, objects);
      await store.close();
      assert.deepEqual([(await assertCheckClean(root, pool)).records], [objects.length]);
      const again = await openStore(root, base);
      assert.deepEqual([again.recovery.recoveredRecords, again.recovery.truncatedBytes], [0, 0]);
      await readsBack(again, objects);
      await again.close();
    });

    test('EIO from fdatasync fails the flush with STORAGE_IO and drops the unsynced records', async (t) => {
      const { root, fs, store } = await faultyStore(t, base);
      const [durable, unsynced] = [chunks(3, 25_000), chunks(3, 25_000)];
      await append(store, durable);
      await store.flush();
      fs.failSyncs();
      await append(store, unsynced);
      await assert.rejects(store.flush(), typed('STORAGE_IO', /EIO/));
      // After a failed fsync the page cache cannot be trusted: the records are cut, not retried.
      notStored(store, unsynced);
      assert.equal(statSync(segmentPath(root, 1)).size, recordBytes(durable));

      fs.lift();
      assert.deepEqual(await append(store, unsynced), [true, true, true]);
      await store.flush();
      await readsBack(store, [...durable, ...unsynced]);
      await store.close();
      assert.equal((await assertCheckClean(root, pool)).records, 6);
    });

    test('ENOSPC after N bytes fails the append with STORAGE_FULL; freed space lets the same objects in', async (t) => {
      const { root, fs, store } = await faultyStore(t, base);
      const first = chunks(2, 64_000);
      await append(store, first);
      await store.flush();
      fs.fullAfter(300_000);
      const rest = chunks(10, 64_000);
      let accepted = 0;
      for (; accepted < rest.length; accepted++) {
        const failed = await append(store, [rest[accepted] as TestObject]).then(() => null, (e: unknown) => e);
        if (failed) {
          typed('STORAGE_FULL', /out of space/)(failed);
          break;
        }
      }
      assert.ok(accepted > 0 && accepted < rest.length, `${accepted} appends fit before the disk was full`);
      notStored(store, rest.slice(accepted));
      // the write that filled the disk left part of a record: it was cut
      assert.equal(statSync(segmentPath(root, 1)).size, recordBytes([...first, ...rest.slice(0, accepted)]));

      fs.lift();
      await append(store, rest.slice(accepted));
      await store.flush();
      await readsBack(store, [...first, ...rest]);
      await store.close();
      assert.equal((await assertCheckClean(root, pool)).records, first.length + rest.length);
    });

    test('a final block torn by a crash is cut at the next start; everything committed reads back', async (t) => {
      const { root, fs, store } = await faultyStore(t, base);
      const seg = segmentPath(root, 1);
      const committed = chunks(3, 30_000);
      const appended = chunks(2, 17_000);
      const torn = makeObject(ObjectKind.data, randomBytes(20_000));
      await append(store, committed);
      await store.flush();
      await append(store, appended);
      const end = recordBytes([...committed, ...appended]);
      // The write of the last record stops mid-block, inside its payload; then the crash.
      let cut = end + RECORD_HEADER_BYTES + 10_000;
      if (cut % DIRECT_BLOCK === 0) cut += 1;
      fs.tearAt(seg, cut);
      await assert.rejects(append(store, [torn]), typed('STORAGE_IO', /ECRASHED/));
      assert.ok(fs.crashed);
      await abandon(store);
      assert.equal(statSync(seg).size, cut, 'the torn record is on disk up to the cut');

      const again = await openStore(root, base);
      assert.equal(again.recovery.recoveredRecords, appended.length, 'whole records past the index are kept');
      assert.equal(again.recovery.truncatedBytes, cut - end);
      await readsBack(again, [...committed, ...appended]);
      notStored(again, [torn]);
      await again.close();
      assert.equal(statSync(seg).size, end);
      assert.equal((await assertCheckClean(root, pool)).records, committed.length + appended.length);
    });

    test('EIO on a read is STORAGE_IO, and reads work again once the fault is lifted', async (t) => {
      const { root, fs, store } = await faultyStore(t, base);
      const objects = chunks(4, 20_000);
      await append(store, objects);
      await store.flush();
      fs.failReadsAfter(0);
      const o = objects[1] as TestObject;
      await assert.rejects(store.readObject(o.digest), typed('STORAGE_IO', /segment 1 offset \d+ could not be read \(EIO\)/));
      const location = store.locate(o.digest);
      assert.ok(location);
      await assert.rejects(store.readStoredSpan([{ location, digest: o.digest }]), typed('STORAGE_IO', /EIO/));
      fs.lift();
      await readsBack(store, objects);
      await store.close();
      await assertCheckClean(root, pool);
    });
  });
}
