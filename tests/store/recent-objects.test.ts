// The store's memory of trees and lists appended lately: commits read them from there, but
// only once the index says they exist, and verification always reads the segments.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HavenError } from '../../core/src/errors.js';
import { Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { RecentObjects } from '../../daemon/src/store/recent-objects.js';
import { RECORD_HEADER_BYTES } from '../../daemon/src/store/record-format.js';
import { segmentPath } from '../../daemon/src/store/segment-files.js';
import { fileEntry, makeObject, treeOf } from '../helpers/objects.js';
import { appendItem as item } from '../helpers/store-items.js';
import { tempDir } from '../helpers/tmp.js';

test('recent objects: bounded by bytes, oldest first out, a read makes an object young again', () => {
  const recent = new RecentObjects(16_000);
  const header = { kind: ObjectKind.tree, codec: Codec.none, rawLength: 900, storedLength: 900, digest: new Uint8Array(32), payloadCrc: 0 };
  const stored = Buffer.alloc(900, 7);
  for (let i = 0; i < 17; i++) recent.add(`k${i}`, header, stored);
  assert.deepEqual(recent.size, { objects: 17, bytes: 15_300 });
  assert.ok(recent.get('k0'));
  recent.add('k17', header, stored);
  assert.equal(recent.size.objects, 17);
  assert.ok(recent.get('k0'), 'read lately, kept');
  assert.equal(recent.get('k1'), undefined, 'the oldest went');
  recent.add('huge', header, Buffer.alloc(1001));
  assert.equal(recent.get('huge'), undefined, 'objects over a sixteenth of the budget are not kept');
  stored.fill(9);
  assert.equal(recent.get('k0')?.stored[0], 7, 'a copy is kept, not the caller\'s buffer');
});

test('a tree appended lately reads from memory, verification reads the segment', async (t) => {
  const root = join(tempDir(t), 'ds');
  const store = await ChunkStore.open(root, { create: true, segmentMaxBytes: 1 << 20 });
  t.after(() => store.close());
  const chunk = makeObject(ObjectKind.data, randomBytes(5000));
  const tree = treeOf([fileEntry('f', [chunk])]);
  await store.append([item(chunk), item(tree)]);
  await store.flush();
  // Damage the tree's record on disk: the store's copy in memory is still right.
  const loc = store.locate(tree.digest);
  assert.ok(loc);
  const fd = openSync(segmentPath(root, loc.segment), 'r+');
  writeSync(fd, Buffer.from([0xff ^ (tree.stored[0] as number)]), 0, 1, loc.offset + RECORD_HEADER_BYTES);
  closeSync(fd);
  assert.ok((await store.readObject(tree.digest, ObjectKind.tree)).equals(tree.raw));
  await assert.rejects(store.onDisk.readObject(tree.digest, ObjectKind.tree), (err: unknown) => err instanceof HavenError && err.code === 'STORE_CORRUPT');
  await assert.rejects(store.readObject(tree.digest, ObjectKind.data), (err: unknown) => err instanceof HavenError && err.code === 'OBJECT_UNDECODABLE');
  // Data is never kept in memory.
  const dloc = store.locate(chunk.digest);
  assert.ok(dloc);
  const fd2 = openSync(segmentPath(root, dloc.segment), 'r+');
  writeSync(fd2, Buffer.from([0xff ^ (chunk.stored[0] as number)]), 0, 1, dloc.offset + RECORD_HEADER_BYTES);
  closeSync(fd2);
  await assert.rejects(store.readObject(chunk.digest), (err: unknown) => err instanceof HavenError && err.code === 'STORE_CORRUPT');
  // An object the index does not have is not served, even if it was appended once.
  await assert.rejects(store.readObject(randomBytes(32)), (err: unknown) => err instanceof HavenError && err.code === 'OBJECT_NOT_FOUND');
});
