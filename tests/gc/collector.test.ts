// Garbage collection on a real store: two phases, what keeps an object (snapshots, pins,
// parents, holds, a late reference), compaction, and what a rebuilt index makes of it all.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { appendItem } from '../helpers/store-items.js';
import { walkReachable } from '../../daemon/src/store/reachability.js';
import { rebuildIndex } from '../../daemon/src/store/rebuild-index.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { datastoreOf } from '../../daemon/src/store/datastore.js';
import { RECORD_HEADER_BYTES } from '../../daemon/src/store/record-format.js';
import { segmentPath } from '../../daemon/src/store/segment-files.js';
import { checkStore } from '../../daemon/src/store/store-check.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { assertCheckClean, readsBack } from '../store/store-harness.js';
import { backupOf, commitBackup, gcHarness } from './gc-harness.js';

const pool = createVerifyPool({ threads: 1 });
test.after(() => pool.close());

test('gc: the first run condemns, the second reclaims; compaction frees dead segments; kept snapshots read back and the check is clean', async (t) => {
  const h = await gcHarness(t);
  const shared = backupOf(10, 4096).data;
  const backups = [backupOf(60, 8192, shared), backupOf(60, 8192, shared), backupOf(60, 8192, shared)];
  const snaps = [];
  for (const b of backups) snaps.push(await commitBackup(h, 'g', [...shared, ...b.objects], b.root));
  const storedFull = h.usage.storedBytes();
  await h.catalog.delete(snaps[0]!.id, 'test');
  await h.catalog.delete(snaps[1]!.id, 'test');

  const first = await h.gc();
  assert.equal(first.reclaimedObjects, 0, 'nothing is reclaimed by the run that condemns');
  // two snapshots' own files, sub trees and roots, and the two snapshot records
  assert.equal(first.condemnedObjects, 2 * (60 + 2) + 2);
  assert.ok(h.objects.isIndexed(backups[0]!.data[0]!.digest), 'condemned objects are still there');

  const second = await h.gc();
  assert.equal(second.reclaimedObjects, 2 * (60 + 2) + 2);
  assert.equal(second.revived, 0);
  assert.equal(second.condemnedObjects, 0);
  assert.ok(second.compaction.segments > 0, 'dead segments were rewritten');
  assert.ok(second.compaction.bytesFreed > 0);
  for (const b of backups.slice(0, 2)) for (const o of b.objects) assert.equal(h.objects.isIndexed(o.digest), false);
  await readsBack(h.store, [...shared, ...backups[2]!.objects]);
  const walk = await walkReachable(h.store, backups[2]!.root.digest, { ignoreComplete: true });
  assert.deepEqual(walk.missing, []);
  const after = h.usage.storedBytes();
  assert.ok(after < storedFull * 0.6, `stored ${after} of ${storedFull} bytes after reclaiming two of three snapshots`);

  await h.store.close();
  await assertCheckClean(h.root, pool);
  // A rebuilt index keeps the deletions: the tombstones outlive the records they cancel.
  await rebuildIndex(h.root, pool);
  const reopened = await ChunkStore.open(h.root, { create: false, segmentMaxBytes: 256 * 1024 });
  t.after(() => reopened.close());
  assert.deepEqual(datastoreOf(reopened).catalog.ids(), [snaps[2]!.id]);
});

test('gc: an open session keeps its parent and its pins, and defers reclaiming until it ends; holds keep theirs', async (t) => {
  const h = await gcHarness(t);
  const parent = backupOf(6, 4096);
  const other = backupOf(6, 4096);
  const held = backupOf(6, 4096);
  const unreferenced = backupOf(4, 4096).data;
  const sp = await commitBackup(h, 'g', parent.objects, parent.root);
  const so = await commitBackup(h, 'g', other.objects, other.root);
  const sh = await commitBackup(h, 'h', held.objects, held.root);
  await h.objects.append(unreferenced.map(appendItem));
  await h.objects.flush();
  await h.holds.add({ owner: 'drill:test', kind: 'snapshot', target: sh.id, reason: 'a drill reads it' });
  // The session starts on `parent`, which a prune then deletes; it asked `has` for the unreferenced objects.
  const s = h.backups.start({ group: 'g', host: 'h', paths: ['/'], tags: [] }, sp.id);
  h.backups.has(s, Buffer.concat(unreferenced.map((o) => o.digest)));
  for (const id of [sp.id, so.id, sh.id]) await h.catalog.delete(id, 'test');

  const first = await h.gc();
  assert.equal(first.condemnedObjects, other.objects.length + 1, 'only the other snapshot (objects and record) is condemned');
  const second = await h.gc();
  assert.match(second.deferred ?? '', /still open/);
  assert.equal(second.reclaimedObjects, 0);
  for (const o of [...parent.objects, ...other.objects, ...held.objects, ...unreferenced]) assert.ok(h.objects.isIndexed(o.digest));

  h.backups.abort(s.info.id, 'test');
  await new Promise((r) => setTimeout(r, 50));
  const third = await h.gc();
  assert.equal(third.reclaimedObjects, other.objects.length + 1);
  for (const o of other.objects) assert.equal(h.objects.isIndexed(o.digest), false);
  // the session has ended: its parent and pins are condemned now, the held snapshot still not
  assert.equal(third.condemnedObjects, parent.objects.length + 1 + unreferenced.length);
  const fourth = await h.gc();
  assert.equal(fourth.reclaimedObjects, parent.objects.length + 1 + unreferenced.length);
  await readsBack(h.store, held.objects);
});

test('gc: a reference made between the two runs revives a condemned object', async (t) => {
  const h = await gcHarness(t);
  const keep = backupOf(4, 4096);
  const late = backupOf(5, 4096);
  await commitBackup(h, 'g', keep.objects, keep.root);
  const gone = await commitBackup(h, 'g', late.objects, late.root);
  await h.catalog.delete(gone.id, 'test');
  const first = await h.gc();
  assert.equal(first.condemnedObjects, late.objects.length + 1);
  // a client that still had the tree (from its files cache) commits it again
  const again = await commitBackup(h, 'g', [], late.root);
  const second = await h.gc();
  assert.equal(second.revived, late.objects.length, 'the objects are revived; only the old record goes');
  assert.equal(second.reclaimedObjects, 1);
  await readsBack(h.store, late.objects);
  assert.ok(h.catalog.get(again.id));
});

test('gc: compaction leaves a segment whose live record is damaged for the store check, and moves the others', async (t) => {
  const h = await gcHarness(t);
  const backups = [backupOf(60, 8192), backupOf(60, 8192), backupOf(60, 8192)];
  const snaps = [];
  for (const b of backups) snaps.push(await commitBackup(h, 'g', b.objects, b.root));
  await h.catalog.delete(snaps[1]!.id, 'test');
  await h.gc();
  // A segment holding both a kept object and a condemned one: the next run compacts it.
  const dead = new Set(backups[1]!.objects.map((o) => h.store.locate(o.digest)!.segment));
  const kept = [...backups[0]!.objects, ...backups[2]!.objects];
  const victim = kept.find((o) => dead.has(h.store.locate(o.digest)!.segment) && o.stored.length > 16);
  assert.ok(victim, 'a segment mixes kept and condemned records');
  const at = h.store.locate(victim.digest)!;
  const path = segmentPath(h.root, at.segment);
  const bytes = readFileSync(path);
  bytes[at.offset + RECORD_HEADER_BYTES + 8]! ^= 0x40;
  writeFileSync(path, bytes);

  const second = await h.gc();
  assert.equal(second.reclaimedObjects, 60 + 2 + 1);
  assert.ok(existsSync(path), 'the damaged segment stays');
  assert.equal(h.store.locate(victim.digest)!.segment, at.segment, 'its records were not switched');
  assert.ok(h.log.some((l) => l.includes(`segment ${at.segment} offset ${at.offset}: payload checksum mismatch`)), h.log.join('\n'));
  assert.ok(second.compaction.segments > 0, 'the other segments were compacted');
  await readsBack(h.store, kept.filter((o) => o !== victim));
  await h.store.close();
  const report = await checkStore(h.root, pool);
  // the one damaged record, as the index, the segment and the snapshot see it
  assert.ok(report.problems.length > 0);
  for (const p of report.problems) assert.ok(JSON.stringify(p).includes(victim.digest.toString('hex')), JSON.stringify(p));
});
