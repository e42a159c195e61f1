// Healing in the store (issue 15): a quarantined object is absent to `has` (isIndexed), the
// trees above it lose their "complete" flag, a commit's walk reports it as damaged, and an
// append of the same object writes a new record whose index entry replaces the damaged one
// and lifts the quarantine. Objects not quarantined stay duplicates.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptySessionStats, type SessionInfo } from '../../core/src/api/backup.js';
import { walkReachable } from '../../daemon/src/store/reachability.js';
import { tempDatastore } from '../helpers/datastore.js';
import { sampleBackup } from '../helpers/objects.js';
import { appendItem } from '../helpers/store-items.js';

test('a quarantined object is absent to has, named by the walk, and written anew by the next append', async (t) => {
  const ds = await tempDatastore(t);
  const b = sampleBackup(3, 3000);
  await ds.objects.append(b.objects.map(appendItem));
  await ds.objects.flush();
  const sub = b.objects[b.objects.length - 2];
  assert.ok(sub);
  const iso = new Date().toISOString();
  const session: SessionInfo = { id: 'heal', group: 'g', host: 'h', paths: ['/'], tags: [], state: 'open', started: iso, updated: iso, stats: emptySessionStats() };
  await ds.catalog.commit(
    { group: 'g', time: Date.now(), host: 'h', paths: ['/'], tags: [], root: b.root.digest, session: 'heal', stats: {} },
    { session, completeTrees: [{ digest: sub.digest, height: 0 }, { digest: b.root.digest, height: 1 }], walkedAt: ds.objects.removalGeneration },
  );
  assert.equal(ds.objects.locate(b.root.digest)?.complete, true);

  const victim = b.data[1];
  assert.ok(victim);
  const before = ds.objects.locate(victim.digest);
  await ds.quarantine.mark(victim.digest, 'payload checksum mismatch', [sub.digest, b.root.digest]);
  assert.equal(ds.objects.isIndexed(victim.digest), false, 'has answers it absent');
  assert.equal(ds.objects.isIndexed((b.data[0] as { digest: Uint8Array }).digest), true);
  assert.equal(ds.objects.locate(b.root.digest)?.complete, false, 'the trees above are walked again');
  assert.equal(ds.objects.locate(sub.digest)?.complete, false);

  const walk = await walkReachable(ds.objects, b.root.digest, { isDamaged: (d) => ds.quarantine.isQuarantined(d) });
  assert.deepEqual(walk.damaged.map((d) => Buffer.from(d).toString('hex')), [Buffer.from(victim.digest).toString('hex')]);
  assert.deepEqual(walk.missing, []);

  // The re-upload: the victim is written, the others are duplicates.
  assert.deepEqual(await ds.objects.append(b.data.map(appendItem)), [false, true, false]);
  assert.equal(ds.quarantine.isQuarantined(victim.digest), true, 'lifted only when the new record is indexed');
  await ds.objects.flush();
  const after = ds.objects.locate(victim.digest);
  assert.ok(before && after);
  assert.notDeepEqual([after.segment, after.offset], [before.segment, before.offset], 'the entry points at the new record');
  assert.equal(ds.quarantine.isQuarantined(victim.digest), false);
  assert.equal(ds.objects.isIndexed(victim.digest), true);
  assert.ok((await ds.store.onDisk.readObject(victim.digest)).equals(victim.raw));
});
