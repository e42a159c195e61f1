// The check of a session's trees as they arrive: it vouches only for trees whose every
// descendant is stored, catches up when a missing chunk arrives later, pins what it vouched
// for, and leaves malformed trees to the commit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { TreePrecheck } from '../../daemon/src/backup/tree-precheck.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { dirEntry, fileEntry, makeObject, treeOf, type TestObject } from '../helpers/objects.js';
import { appendItem as item } from '../helpers/store-items.js';
import { tempDir } from '../helpers/tmp.js';

const key = (o: TestObject): string => o.digest.toString('latin1');

test('tree precheck: vouches for complete trees only, catches up through the parent, pins what it vouched for', async (t) => {
  const store = await ChunkStore.open(join(tempDir(t), 'ds'), { create: true, segmentMaxBytes: 1 << 20 });
  t.after(() => store.close());
  const pins = new Set<string>();
  const check = new TreePrecheck(store, pins, () => store.removalGeneration);

  const a = makeObject(ObjectKind.data, randomBytes(3000));
  const late = makeObject(ObjectKind.data, randomBytes(3000));
  const full = treeOf([fileEntry('a', [a])]);
  const waiting = treeOf([fileEntry('late', [late])]);
  const root = treeOf([dirEntry('full', full), dirEntry('waiting', waiting)]);
  const broken = makeObject(ObjectKind.tree, Buffer.from('not a tree'));

  await store.append([item(a), item(full), item(waiting), item(broken)]);
  check.add(full.digest);
  check.add(waiting.digest); // its chunk has not arrived
  check.add(broken.digest);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(check.heightOf(key(full)), 0);
  assert.equal(check.heightOf(key(waiting)), undefined, 'a chunk is missing');
  assert.equal(check.heightOf(key(broken)), undefined, 'a malformed tree is left to the commit');

  await store.append([item(late), item(root)]);
  check.add(root.digest);
  await new Promise((r) => setTimeout(r, 50));
  const vouched = await check.stop();
  assert.deepEqual(new Set(vouched.map((t) => Buffer.from(t.digest).toString('latin1'))), new Set([key(full), key(waiting), key(root)]));
  assert.equal(check.heightOf(key(root)), 1, 'the root holds two directory levels: itself and its subdirectories');
  assert.deepEqual(pins, new Set([key(full), key(waiting), key(root)]));

  // Stopped (a commit is running): nothing more is checked until it resumes.
  const other = treeOf([fileEntry('b', [a])]);
  await store.append([item(other)]);
  check.add(other.digest);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(check.heightOf(key(other)), undefined);
  check.resume();
  check.add(other.digest);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(check.heightOf(key(other)), 0);
});
