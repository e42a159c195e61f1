// The appliance holds every committed tree to what a restore relies on (issue 18): a split
// directory is one namespace, and directories nest at most MAX_TREE_DEPTH deep, also when
// a chain is built across commits on top of trees an earlier commit found complete. A
// backup token that pushes otherwise gets a typed 4xx and no snapshot; a datastore that
// already holds such a tree fails `havend store check`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../core/src/objects/digest.js';
import { HavenError } from '../../core/src/errors.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { encodeSnapshot } from '../../core/src/objects/snapshot.js';
import { MAX_TREE_DEPTH, encodeTree, sortEntries, type TreeEntry } from '../../core/src/objects/tree.js';
import { sha256 } from '../../core/src/objects/digest.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { payloadCrc } from '../../daemon/src/store/record-format.js';
import { registerSnapshot } from '../../daemon/src/store/snapshot-index.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { dirEntry, fileEntry, makeObject, treeOf, type TestObject } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';

function symlinkEntry(name: string, target: string): TreeEntry {
  return { name, type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeNs: 1n, ctimeNs: 1n, size: 0, target };
}

/** A root split in two parts, each valid alone: a symlink `esc` in one, a directory `esc` in the other. */
function splitDuplicate(): { objects: TestObject[]; root: TestObject } {
  const chunk = makeObject(ObjectKind.data, Buffer.from('payload'));
  const inner = treeOf([fileEntry('owned', [chunk])]);
  const first = makeObject(ObjectKind.tree, encodeTree({ entries: sortEntries([symlinkEntry('esc', '/etc'), symlinkEntry('a', 'x')]) }));
  const second = makeObject(ObjectKind.tree, encodeTree({ entries: [dirEntry('esc', inner)] }));
  const root = makeObject(ObjectKind.tree, encodeTree({ parts: [first.digest, second.digest] }));
  return { objects: [chunk, inner, first, second, root], root };
}

/** `depth` directories nested in a chain on top of `bottom` (a fresh leaf when absent). */
function chain(depth: number, bottom?: TestObject): { objects: TestObject[]; root: TestObject } {
  let tree = bottom ?? treeOf([]);
  const objects = bottom ? [] : [tree];
  for (let i = 0; i < depth; i++) {
    tree = treeOf([dirEntry('d', tree)]);
    objects.push(tree);
  }
  return { objects, root: tree };
}

async function refused(promise: Promise<unknown>): Promise<HavenError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof HavenError, String(err));
    return err;
  }
  assert.fail('the commit was accepted');
}

test('a backup token cannot commit a split directory whose parts repeat a name, nor nesting past the limit', { timeout: 120_000 }, async (t) => {
  const dataDir = tempDir(t);
  const d = await startDaemon(t, { dataDir });
  const api = d.client(createToken(dataDir, 'backup:g'));

  const dup = await refused(pushBackup(api, 'g', splitDuplicate()));
  assert.equal(dup.code, 'OBJECT_UNDECODABLE');
  assert.equal(dup.status, 422);
  assert.match(dup.message, /not unique and ordered across the parts/);

  const deep = await refused(pushBackup(api, 'g', chain(MAX_TREE_DEPTH + 1)));
  assert.equal(deep.code, 'TREE_TOO_DEEP');
  assert.equal(deep.status, 422);

  // At the limit is fine; a chain built on top of it in a later commit (its lower part is
  // found complete, not walked again) is refused by the height recorded with the flag.
  const atLimit = chain(MAX_TREE_DEPTH);
  await pushBackup(api, 'g', atLimit);
  const onTop = chain(1, atLimit.root);
  assert.equal((await refused(pushBackup(api, 'g', onTop))).code, 'TREE_TOO_DEEP');

  const admin = d.client(createToken(dataDir, 'admin'));
  const listed = await admin.snapshots('g');
  assert.deepEqual(listed.snapshots.map((s) => s.root), [toHex(atLimit.root.digest)], 'only the legitimate snapshot was committed');
  await d.stop();
  const check = havend(['store', 'check', '--data', dataDir, '--json']);
  assert.equal(check.code, 0, check.stdout);
});

test('store check reports a split directory with a repeated name already in the datastore', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDir(t);
  // Planted the way an older havend would have stored it: objects, then a registered snapshot.
  const store = await ChunkStore.open(join(dataDir, 'datastore'), { create: true, segmentMaxBytes: 1 << 20 });
  const { objects, root } = splitDuplicate();
  await store.append(objects.map((o) => ({
    header: { kind: o.kind, codec: o.codec, rawLength: o.raw.length, storedLength: o.stored.length, digest: o.digest },
    payloadCrc: payloadCrc(o.stored), payload: o.stored,
  })));
  const record = { group: 'g', time: Date.now(), host: hostname(), paths: ['/srv'], tags: [], root: root.digest, session: 'planted', stats: {} };
  const raw = encodeSnapshot(record);
  await store.writeOwnObject(ObjectKind.snapshot, raw, () => registerSnapshot(store.index, sha256(raw), record));
  await store.close();

  const check = havend(['store', 'check', '--data', dataDir]);
  assert.equal(check.code, 1, check.stdout);
  assert.match(check.stdout, /not unique and ordered across the parts of a split directory/);
  assert.match(check.stdout, new RegExp(`snapshot ${toHex(sha256(raw))} \\(g\\)`));
});
