// The nightly rotation (issue 15) over a real store and state db, at chosen times: t nights
// read every stored object exactly once, each on the night its digest's share names; an
// object not verified for longer than the maximum age is read whatever its share; a damaged
// record is collected as damage, not read as good.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../core/src/objects/digest.js';
import type { TaskContext } from '../../daemon/src/jobs/tasks.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { RECORD_HEADER_BYTES } from '../../daemon/src/store/record-format.js';
import { segmentPath } from '../../daemon/src/store/segment-files.js';
import { Tally, Verifier } from '../../daemon/src/verify/verifier.js';
import { VerifyRecords } from '../../daemon/src/verify/verify-records.js';
import { tempDatastore } from '../helpers/datastore.js';
import { sampleBackup } from '../helpers/objects.js';
import { flipByte } from '../helpers/segment-damage.js';
import { appendItem } from '../helpers/store-items.js';
import { tempDir } from '../helpers/tmp.js';

const DAY = 86_400_000;
const NIGHTS = 4;

function context(): TaskContext {
  return { id: 'rotation-test', signal: new AbortController().signal, progress: () => undefined, log: () => undefined };
}

test('t nights cover every object once; old verifications are redone; damage is collected', async (t) => {
  const ds = await tempDatastore(t);
  const b = sampleBackup(60, 700);
  await ds.objects.append(b.objects.map(appendItem));
  await ds.objects.flush();
  const state = openStateDb(tempDir(t));
  t.after(() => state.close());
  const records = new VerifyRecords(state);
  let now = 0;
  const verifier = new Verifier({ onDisk: ds.store.onDisk, listing: ds.listing, quarantine: ds.quarantine, records, now: () => now });
  const total = ds.listing.count();
  assert.equal(total, b.objects.length);

  // Night 0 starts at day 1000 (1000 mod 4 = 0); the maximum age is far away.
  const reads: number[] = [];
  for (let n = 0; n < NIGHTS; n++) {
    now = (1000 + n) * DAY + 3_600_000;
    const tally = new Tally();
    await verifier.rotate(NIGHTS, 100 * DAY, tally, context());
    assert.equal(tally.damaged.size, 0);
    reads.push(tally.objects);
    for (const o of b.objects) {
      const v = records.verification(o.digest);
      if (verifier.inShare(o.digest, n, NIGHTS)) assert.equal(v?.at, now, `${toHex(o.digest)} is verified on night ${n}`);
    }
  }
  // The first night also reads everything never verified; the others only their share.
  assert.equal(reads[0], total);
  const shares = [1, 2, 3].map((n) => b.objects.filter((o) => verifier.inShare(o.digest, n, NIGHTS)).length);
  assert.deepEqual(reads.slice(1), shares);
  assert.equal(records.verifiedCount(), total);

  // Ten days later with a maximum age of two: everything is due again.
  now = 1014 * DAY;
  const late = new Tally();
  await verifier.rotate(NIGHTS, 2 * DAY, late, context());
  assert.equal(late.objects, total);

  // A flipped byte in a data record's payload: damage, and the record is not counted as read.
  const victim = b.data[7];
  assert.ok(victim);
  const at = ds.objects.locate(victim.digest);
  assert.ok(at);
  flipByte(segmentPath(ds.root, at.segment), at.offset + RECORD_HEADER_BYTES + 5);
  now = 1030 * DAY;
  const damaged = new Tally();
  await verifier.rotate(NIGHTS, 2 * DAY, damaged, context());
  assert.deepEqual([...damaged.damaged.keys()], [toHex(victim.digest)]);
  assert.equal(damaged.objects, total - 1);
  assert.deepEqual(damaged.problems, []);
});
