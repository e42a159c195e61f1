// The verification records against the state file. A new snapshot's verification writes one
// record per object read, under random digests, so each batch rewrites leaf pages all over the
// tree, and LMDB gives the pages a commit frees to new writes only from the commit after next.
// Written as they were (1024 msgpack maps of 22 bytes per transaction, back to back), the
// peers benchmark's first backup left 13.8 MiB for 68k records; now each batch is followed by
// the run's progress in a small commit of its own and a record is 7 bytes. Batches as a first
// verification makes them, then the file is compared with LMDB's compacted copy of itself.
// Also: the stored form read back, and records written before (msgpack maps) still read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pack } from 'msgpackr';
import type { VerifyRun } from '../../core/src/api/verify.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { decodeVerification, encodeVerification, RECORD_BATCH, VerifyRecords } from '../../daemon/src/verify/verify-records.js';
import { tempDir } from '../helpers/tmp.js';

const OBJECTS = 40_000;

function digest(i: number): Buffer {
  return createHash('sha256').update(`object ${i}`).digest();
}

test('a first verification of 40k objects leaves the state file under 1.5x its compacted size', async (t) => {
  const dir = tempDir(t);
  const state = openStateDb(dir);
  const records = new VerifyRecords(state);
  const task = 'growth-test';
  records.begin({ task, kind: 'new-snapshots', group: null, started: new Date(0).toISOString(), by: 'commit' });
  const summary = { snapshots: 0, objects: 0, bytes: 0, covered: 0, damagedObjects: 0, problems: [], durationMs: 0 };
  for (let i = 0; i < OBJECTS; i += RECORD_BATCH) {
    const items = [];
    for (let j = i; j < Math.min(OBJECTS, i + RECORD_BATCH); j++) items.push({ digest: digest(j), deep: j % 10 === 0 });
    await records.record(items, 1_800_000_000_000 + i, { task, summary: { ...summary, objects: i + items.length } });
  }
  assert.equal(records.verifiedCount(), OBJECTS);
  assert.deepEqual(records.verification(digest(30)), { at: 1_800_000_000_000, deep: true });
  assert.equal(records.openRuns()[0]?.summary?.objects, OBJECTS, 'the open run carries its progress');
  const cancelled = { ...(records.openRuns()[0] as VerifyRun), status: 'cancelled' as const, summary: null, error: 'cancelled' };
  records.finish(cancelled);
  assert.equal(records.history()[0]?.summary?.objects, OBJECTS, 'a cancelled run keeps the progress last noted');
  assert.equal(records.totals().objects, OBJECTS);

  const compacted = join(tempDir(t), 'compacted');
  mkdirSync(compacted);
  await state.env.backup(compacted, true);
  await state.close();
  const file = statSync(join(dir, 'state', 'data.mdb')).size;
  const tight = statSync(join(compacted, 'data.mdb')).size;
  console.log(`state file ${(file / 2 ** 20).toFixed(2)} MiB (${(file / OBJECTS).toFixed(0)} bytes per verification), compacted ${(tight / 2 ** 20).toFixed(2)} MiB, ${(file / tight).toFixed(2)}x`);
  assert.ok(file < 1.5 * tight, `the state file is ${(file / tight).toFixed(2)}x its compacted size`);
  assert.ok(file / OBJECTS < 120, `${(file / OBJECTS).toFixed(0)} bytes per verification`);
});

test('a verification reads back as written; msgpack records of earlier versions still read', () => {
  for (const v of [{ at: 0, deep: false }, { at: 0, deep: true }, { at: 1_796_599_473_325, deep: true }, { at: 2 ** 47 - 1, deep: false }]) {
    const b = encodeVerification(v);
    assert.equal(b.length, 7);
    assert.deepEqual(decodeVerification(b), v);
  }
  // As lmdb-js stored { at, deep } before: a msgpack record carrying its own structure.
  assert.deepEqual(decodeVerification(Buffer.from('d4724092a26174a464656570cb427a24dac64ad000c2', 'hex')), { at: 1_796_599_473_325, deep: false });
  assert.deepEqual(decodeVerification(pack({ at: 5, deep: true })), { at: 5, deep: true });
  assert.equal(decodeVerification(Buffer.from([0xc1, 1, 2])), undefined);
  assert.equal(decodeVerification(pack({ at: 'x' })), undefined);
});
