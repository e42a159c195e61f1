// Verification's bulk read (ChunkStore.onDisk.checkEach) over a real store: every whole record
// answers its raw length, compressed or not; what it cannot vouch for answers null (not
// indexed, asked as another kind, a record whose payload was changed on disk), and the
// verifier reads those alone, which names the damage.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { RECORD_HEADER_BYTES } from '../../daemon/src/store/record-format.js';
import { segmentPath } from '../../daemon/src/store/segment-files.js';
import { tempDatastore } from '../helpers/datastore.js';
import { sampleBackup } from '../helpers/objects.js';
import { flipByte } from '../helpers/segment-damage.js';
import { appendItem } from '../helpers/store-items.js';

test('checkEach answers the raw length of whole records and null for what it cannot vouch for', async (t) => {
  const ds = await tempDatastore(t);
  const plain = sampleBackup(40, 3000);
  const packed = sampleBackup(40, 5000, true);
  const all = [...plain.objects, ...packed.objects];
  await ds.objects.append(all.map(appendItem));
  await ds.objects.flush();
  assert.ok(packed.data.some((o) => o.stored.length < o.raw.length), 'some records are compressed');

  const asked = all.map((o) => ({ digest: o.digest, kind: o.kind }));
  assert.deepEqual(await ds.store.onDisk.checkEach(asked), all.map((o) => o.raw.length));

  const victim = packed.data[11];
  assert.ok(victim);
  const [unknown, otherKind] = await ds.store.onDisk.checkEach([
    { digest: randomBytes(32), kind: ObjectKind.data },
    { digest: victim.digest, kind: ObjectKind.tree },
  ]);
  assert.equal(unknown, null);
  assert.equal(otherKind, null);

  // One byte of the victim's payload flipped on disk.
  const at = ds.objects.locate(victim.digest);
  assert.ok(at);
  flipByte(segmentPath(ds.root, at.segment), at.offset + RECORD_HEADER_BYTES + 3);
  const after = await ds.store.onDisk.checkEach(asked);
  assert.equal(after[all.indexOf(victim)], null);
  for (const [i, size] of after.entries()) {
    if (size !== null) assert.equal(size, (all[i] as { raw: Buffer }).raw.length);
  }
  // Everything else still reads alone.
  for (const [i, o] of all.entries()) {
    if (o !== victim && after[i] === null) assert.equal((await ds.store.onDisk.readObject(o.digest, o.kind)).length, o.raw.length);
  }
  await assert.rejects(ds.store.onDisk.readObject(victim.digest, ObjectKind.data), { code: 'STORE_CORRUPT' });
});
