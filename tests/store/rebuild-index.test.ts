// `havend store rebuild-index` rebuilds LMDB from the segments alone: the same lookups and
// the same snapshot list as the original index, deletions included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { decodeLocation, openObjectIndex } from '../../daemon/src/store/object-index.js';
import { readIdentity } from '../../daemon/src/store/identity.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { framesOf, makeObject, sampleBackup } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';

interface IndexDump {
  objects: Map<string, string>;
  snapshots: string[];
  groups: string[];
}

async function dumpIndex(datastore: string): Promise<IndexDump> {
  const identity = readIdentity(datastore);
  assert.ok(identity);
  const index = openObjectIndex(datastore, identity.id);
  try {
    const objects = new Map<string, string>();
    for (const { key, value } of index.objects.getRange()) {
      const l = decodeLocation(value);
      // the `complete` flag is a cache of commit-time walks, not a lookup result
      objects.set(toHex(key), `${l.segment}:${l.offset}:${l.storedLength}:${l.rawLength}:${l.kind}:${l.codec}`);
    }
    const snapshots = [...index.snapshots.getRange()].map(({ key, value }) => `${toHex(key)} ${value.group} ${value.time} ${value.root} ${JSON.stringify(value.stats)}`);
    const groups = [...index.bygroup.getKeys()].map((k) => k.join('/'));
    return { objects, snapshots, groups };
  } finally {
    await index.close();
  }
}

test('rebuild-index yields the same lookups and snapshot list', { timeout: 120_000 }, async (t) => {
  const dataDir = tempDir(t);
  const datastore = join(dataDir, 'datastore');
  const admin = createToken(dataDir, 'admin');
  // small segments, so the store spans several of them
  const d = await startDaemon(t, { dataDir, env: { HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(1024 * 1024) } });
  const api = d.client(admin);
  const ids: string[] = [];
  for (const group of ['web', 'db', 'web', 'mail', 'db']) {
    const b = sampleBackup(12, 60_000, ids.length % 2 === 0);
    const s = await api.startBackup({ group, paths: [`/srv/${group}`], tags: ['nightly'] });
    await api.uploadFrames(s.session, framesOf(b.objects));
    ids.push((await api.commit(s.session, { root: toHex(b.root.digest), stats: { files: 12 } })).snapshot.id);
  }
  // an upload that never got committed: its objects are indexed but reach no snapshot
  const orphan = await api.startBackup({ group: 'web' });
  await api.uploadFrames(orphan.session, framesOf([makeObject(ObjectKind.data, randomBytes(50_000))]));
  await api.deleteSnapshot(ids[1] as string);
  await d.stop();

  const before = await dumpIndex(datastore);
  assert.equal(before.snapshots.length, 4);
  assert.ok(before.objects.size > 60);

  // refused while the daemon runs
  const d2 = await startDaemon(t, { dataDir });
  const refused = havend(['store', 'rebuild-index', '--data', dataDir]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /DAEMON_RUNNING/);
  await d2.stop();

  const r = havend(['store', 'rebuild-index', '--data', dataDir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { objects: number; snapshots: number; tombstones: number };
  assert.equal(report.snapshots, 4);
  assert.equal(report.tombstones, 1);

  const after = await dumpIndex(datastore);
  assert.deepEqual([...after.objects.entries()].sort(), [...before.objects.entries()].sort());
  assert.deepEqual(after.snapshots.sort(), before.snapshots.sort());
  assert.deepEqual(after.groups, before.groups);

  const check = havend(['store', 'check', '--data', dataDir]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  // and the daemon serves the rebuilt index
  const d3 = await startDaemon(t, { dataDir });
  const api3 = d3.client(admin);
  assert.deepEqual((await api3.snapshots('web')).snapshots.map((s) => s.id), [ids[0], ids[2]]);
  const content = await api3.snapshot((ids[4] as string).slice(0, 10));
  assert.equal(content.group, 'db');
});
