// The chunk store's crash recovery, driven directly: records appended but never indexed are
// recovered, a torn tail is cut, and a snapshot record past the index is registered.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../core/src/objects/digest.js';
import { Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { encodeRecordHeader, payloadCrc } from '../../daemon/src/store/record-format.js';
import { segmentPath } from '../../daemon/src/store/segment-files.js';
import { tempDir } from '../helpers/tmp.js';

function item(raw: Buffer) {
  return { header: { kind: ObjectKind.data, codec: Codec.none, rawLength: raw.length, storedLength: raw.length, digest: sha256(raw) } as const, payloadCrc: payloadCrc(raw), payload: raw };
}

test('records past the indexed length are recovered; a torn tail is cut', async (t) => {
  const root = join(tempDir(t), 'ds');
  const store = await ChunkStore.open(root, { create: true, segmentMaxBytes: 1 << 20 });
  const durable = [randomBytes(1000), randomBytes(2000)];
  await store.append(durable.map(item));
  await store.flush();
  await store.close();
  // As if killed after appending two more records but before their index transaction,
  // in the middle of writing a third.
  const seg = segmentPath(root, 1);
  const lost = [randomBytes(3000), randomBytes(4000)];
  for (const raw of lost) appendFileSync(seg, Buffer.concat([encodeRecordHeader(item(raw).header, payloadCrc(raw)), raw]));
  const size = statSync(seg).size;
  const torn = randomBytes(9000);
  appendFileSync(seg, Buffer.concat([encodeRecordHeader(item(torn).header, payloadCrc(torn)), torn.subarray(0, 700)]));
  const reopened = await ChunkStore.open(root, { create: false, segmentMaxBytes: 1 << 20 });
  assert.equal(reopened.recovery.recoveredRecords, 2);
  assert.equal(reopened.recovery.truncatedBytes, 56 + 700);
  for (const raw of [...durable, ...lost]) assert.ok((await reopened.readObject(sha256(raw))).equals(raw));
  assert.equal(reopened.locate(sha256(torn)), undefined);
  await reopened.close();
  // (while open, a direct-I/O segment carries zero padding to its next 4 KiB; closing cuts it)
  assert.equal(statSync(seg).size, size);
});

test('segments rotate at their size limit and a half-written record in a new segment is cut', async (t) => {
  const root = join(tempDir(t), 'ds');
  const store = await ChunkStore.open(root, { create: true, segmentMaxBytes: 1 << 20 });
  const raws = Array.from({ length: 6 }, () => randomBytes(400_000));
  for (const r of raws) await store.append([item(r)]);
  await store.flush();
  assert.ok(statSync(segmentPath(root, 3)).size > 0, 'spread over three segments');
  await store.close();
  const seg = segmentPath(root, 3);
  appendFileSync(seg, Buffer.concat([Buffer.from([0x48, 0x56, 0x52, 0x01]), randomBytes(100)]));
  const again = await ChunkStore.open(root, { create: false, segmentMaxBytes: 1 << 20 });
  assert.equal(again.recovery.truncatedBytes, 104);
  for (const r of raws) assert.ok((await again.readObject(sha256(r))).equals(r));
  // An indexed record cut by someone else is not "repaired" by guessing: it is reported.
  const extra = randomBytes(5000);
  await again.append([item(extra)]);
  await again.close();
  truncateSync(seg, statSync(seg).size - 10);
  const third = await ChunkStore.open(root, { create: false, segmentMaxBytes: 1 << 20 });
  assert.match(third.recovery.notes.join('\n'), /segment 3 is \d+ bytes but \d+ are indexed/);
  await third.close();
});
