// An upload stream (the pipeline behind PUT /sessions/:id/chunks: parse, verify in the pool,
// append, flush) over a store whose disk fails: EIO or a full disk mid-upload ends the stream
// with the typed error the client sees (STORAGE_IO, STORAGE_FULL), what verified before it
// stays stored, `store check` is clean, and the same upload succeeds once the fault is gone.
// In process, with the faulty segment file: no test hook reaches the daemon's configuration.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { HavenError, type ErrorCode } from '../../core/src/errors.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { FrameIngest } from '../../daemon/src/backup/frame-ingest.js';
import type { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { SpaceReserve } from '../../daemon/src/store/space-reserve.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { fileEntry, framesOf, makeObject, treeOf, type TestObject } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';
import { FaultySegmentFs } from '../store/faulty-segment-file.js';
import { assertCheckClean, BASES, openStore, readsBack } from '../store/store-harness.js';

const pool = createVerifyPool({ threads: 1 });
after(() => pool.close());

function upload(store: ChunkStore, objects: readonly TestObject[]) {
  // No reserve: the faulty file's ENOSPC is what runs out here, not the free-space threshold.
  const space = new SpaceReserve({ root: () => store.root, reserveBytes: 0, now: Date.now, onListenerError: (err) => assert.fail(String(err)) });
  const ingest = new FrameIngest({ store, pool, space }, { maxFrameBytes: 1 << 20, syncEveryBytes: 32 << 20 });
  return ingest.run(Readable.from(framesOf([...objects])));
}

/** 6 MiB of incompressible chunks and their tree: more than one verification arena (4 MiB), so several appends. */
function backup(): TestObject[] {
  const chunks = Array.from({ length: 24 }, () => makeObject(ObjectKind.data, randomBytes(256 * 1024)));
  return [...chunks, treeOf(chunks.map((c, i) => fileEntry(`f${i}`, [c])))];
}

const FAULTS: Array<{ name: string; code: ErrorCode; message: RegExp; arm(fs: FaultySegmentFs): void }> = [
  { name: 'EIO on a write', code: 'STORAGE_IO', message: /EIO/, arm: (fs) => fs.failWritesAfter(1) },
  { name: 'ENOSPC after 3 MiB', code: 'STORAGE_FULL', message: /out of space/, arm: (fs) => fs.fullAfter(3 << 20) },
];

for (const base of BASES) {
  for (const fault of FAULTS) {
    test(`${fault.name} fails an upload with ${fault.code} on the ${base.name} segment file; it succeeds once the fault is gone`, async (t) => {
      const root = join(tempDir(t), 'ds');
      const fs = new FaultySegmentFs();
      const store = await openStore(root, base, fs);
      const objects = backup();
      fault.arm(fs);
      await assert.rejects(upload(store, objects), (e: unknown) => {
        assert.ok(e instanceof HavenError, String(e));
        assert.equal(e.code, fault.code);
        assert.match(e.message, fault.message);
        return true;
      });
      const kept = objects.filter((o) => store.isIndexed(o.digest));
      assert.ok(kept.length < objects.length, 'the upload stopped short');
      await readsBack(store, kept);

      fs.lift();
      const totals = await upload(store, objects);
      assert.deepEqual([totals.objectsNew, totals.objectsDuplicate], [objects.length - kept.length, kept.length]);
      await readsBack(store, objects);
      await store.close();
      assert.equal((await assertCheckClean(root, pool)).records, objects.length);
    });
  }
}
