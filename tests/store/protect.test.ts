// Protected snapshots (issue 13): a protected snapshot cannot be deleted until unprotected;
// the state is a protection record in the segments, so it survives a reopen, start-up
// recovery and `rebuild-index`, and a snapshot's latest record (by time) decides it.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { HavenError } from '../../core/src/errors.js';
import { sha256 } from '../../core/src/objects/digest.js';
import { Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { encodeProtection } from '../../core/src/objects/snapshot.js';
import { rebuildIndex } from '../../daemon/src/store/rebuild-index.js';
import { encodeRecordHeader, payloadCrc } from '../../daemon/src/store/record-format.js';
import { listSegments, segmentPath } from '../../daemon/src/store/segment-files.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { commitSample, openDatastore, tempDatastore, type OpenDatastore } from '../helpers/datastore.js';
import { assertCheckClean } from './store-harness.js';

const pool = createVerifyPool({ threads: 1 });
after(() => pool.close());

function isCode(code: string) {
  return (err: unknown) => err instanceof HavenError && err.code === code;
}

test('protect: delete is refused with SNAPSHOT_PROTECTED until unprotected', async (t) => {
  const ds = await tempDatastore(t);
  const a = await commitSample(ds, 'web', 1_000);
  assert.equal(a.summary.protected, false);
  assert.equal(ds.catalog.isProtected(a.summary.id), false);

  const p = await ds.catalog.protect(a.summary.id, 'alice');
  assert.equal(p.protected, true);
  assert.equal(ds.catalog.isProtected(a.summary.id), true);
  assert.equal(ds.catalog.list('web')[0]?.protected, true, 'listings carry the flag');
  assert.equal(ds.catalog.groups()[0]?.latest?.protected, true);

  await assert.rejects(ds.catalog.delete(a.summary.id, 'bob'), (err: unknown) => {
    assert.ok(err instanceof HavenError && err.code === 'SNAPSHOT_PROTECTED');
    assert.equal(err.status, 409);
    assert.match(err.message, new RegExp(`${a.summary.id}.*by alice.*havend snapshot unprotect ${a.summary.id}`));
    return true;
  });
  assert.ok(ds.catalog.get(a.summary.id), 'still there');

  const before = ds.usage.storedBytes();
  assert.equal((await ds.catalog.protect(a.summary.id, 'alice')).protected, true);
  assert.equal(ds.usage.storedBytes(), before, 'protecting a protected snapshot appends nothing');

  assert.equal((await ds.catalog.unprotect(a.summary.id, 'alice')).protected, false);
  await ds.catalog.delete(a.summary.id, 'bob');
  assert.equal(ds.catalog.get(a.summary.id), undefined);
  assert.equal(ds.catalog.isProtected(a.summary.id), false);
  await assert.rejects(ds.catalog.protect(a.summary.id, 'alice'), isCode('SNAPSHOT_NOT_FOUND'), 'a deleted snapshot cannot be protected');
  await assert.rejects(ds.catalog.unprotect('ab'.repeat(32), 'alice'), isCode('SNAPSHOT_NOT_FOUND'));
});

test('protect: changes and deletions run one at a time: a protect queued before a delete makes it fail', async (t) => {
  const ds = await tempDatastore(t);
  const a = await commitSample(ds, 'web', 1_000);
  const [p, d] = await Promise.allSettled([ds.catalog.protect(a.summary.id, 'x'), ds.catalog.delete(a.summary.id, 'y')]);
  assert.equal(p.status, 'fulfilled');
  assert.equal(d.status, 'rejected', 'the protect was queued first, so the delete is refused');
  assert.ok(ds.catalog.get(a.summary.id)?.protected);
});

/** Protected: a; unprotected: b (protect, unprotect); protected: c (protect, unprotect, protect); deleted: d (after unprotect). */
async function scenario(ds: OpenDatastore) {
  const [a, b, c, d] = [
    await commitSample(ds, 'web', 1_000), await commitSample(ds, 'web', 2_000),
    await commitSample(ds, 'db', 3_000), await commitSample(ds, 'db', 4_000),
  ].map((x) => x.summary.id) as [string, string, string, string];
  await ds.catalog.protect(a, 'alice');
  await ds.catalog.protect(b, 'alice');
  await ds.catalog.unprotect(b, 'alice');
  await ds.catalog.protect(c, 'alice');
  await ds.catalog.unprotect(c, 'bob');
  await ds.catalog.protect(c, 'carol');
  await ds.catalog.protect(d, 'alice');
  await ds.catalog.unprotect(d, 'alice');
  await ds.catalog.delete(d, 'alice');
  return { a, b, c, d };
}

function assertScenario(ds: OpenDatastore, ids: { a: string; b: string; c: string; d: string }): void {
  assert.equal(ds.catalog.get(ids.a)?.protected, true, 'a protected');
  assert.equal(ds.catalog.get(ids.b)?.protected, false, 'b unprotected');
  assert.equal(ds.catalog.get(ids.c)?.protected, true, 'c: the latest record (protect) wins');
  assert.equal(ds.catalog.get(ids.d), undefined, 'd stays deleted');
  assert.equal(ds.catalog.isProtected(ids.d), false);
}

test('protect: the flag survives a reopen and rebuild-index; the latest record wins', async (t) => {
  const ds = await tempDatastore(t);
  const ids = await scenario(ds);
  assertScenario(ds, ids);
  await ds.store.close();

  const reopened = await openDatastore(ds.root);
  assertScenario(reopened, ids);
  await reopened.store.close();

  const report = await rebuildIndex(ds.root, pool);
  assert.equal(report.protections, 8);
  assert.equal(report.tombstones, 1);
  assert.equal(report.snapshots, 3);
  const rebuilt = await openDatastore(ds.root);
  t.after(() => rebuilt.store.close());
  assertScenario(rebuilt, ids);
  await assert.rejects(rebuilt.catalog.delete(ids.c, 'x'), isCode('SNAPSHOT_PROTECTED'));
  await rebuilt.store.close();
  await assertCheckClean(ds.root, pool);
});

test('protect: recovery applies records found past the indexed length, latest time first or not', async (t) => {
  const ds = await tempDatastore(t);
  const a = (await commitSample(ds, 'web', 1_000)).summary.id;
  const b = (await commitSample(ds, 'web', 2_000)).summary.id;
  await ds.store.close();
  // As if killed after appending (and syncing) records whose index transaction never
  // committed; b's records come in reverse time order: time decides, not append order.
  const now = Date.now();
  const records = [
    { snapshot: Buffer.from(a, 'hex'), protected: true, time: now, by: 'alice' },
    { snapshot: Buffer.from(b, 'hex'), protected: true, time: now + 10, by: 'alice' },
    { snapshot: Buffer.from(b, 'hex'), protected: false, time: now + 5, by: 'bob' },
  ];
  const seg = segmentPath(ds.root, listSegments(ds.root).at(-1) as number);
  for (const r of records) {
    const raw = Buffer.from(encodeProtection(r));
    const header = { kind: ObjectKind.protection, codec: Codec.none, rawLength: raw.length, storedLength: raw.length, digest: sha256(raw) };
    appendFileSync(seg, Buffer.concat([encodeRecordHeader(header, payloadCrc(raw)), raw]));
  }
  const reopened = await openDatastore(ds.root);
  t.after(() => reopened.store.close());
  assert.equal(reopened.store.recovery.recoveredRecords, 3);
  assert.equal(reopened.catalog.isProtected(a), true);
  assert.equal(reopened.catalog.isProtected(b), true, 'the record with the later time wins');
  // the next change is later than every record, even one written "in the future"
  assert.equal((await reopened.catalog.unprotect(b, 'carol')).protected, false);
  await reopened.catalog.delete(b, 'carol');
});
