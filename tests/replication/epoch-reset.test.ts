// The source's index rebuilt from its segments (`havend store rebuild-index`) starts a new
// feed epoch: the follower's cursor names the old one, the source answers `reset`, and the
// follower lists the source again and carries on. The source comes back on the same port,
// as an appliance would after maintenance.

import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PeerList } from '../../core/src/api/replication.js';
import { createToken, havend } from '../helpers/daemon.js';
import { backupSeededTree, eventually, freePort, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

test('a follower resynchronises when the source starts a new feed epoch', async (t) => {
  const pair = await replicationPair(t, 'web', { sourceListen: `127.0.0.1:${await freePort()}` });
  const { source, offsite } = pair;
  const first = await backupSeededTree(source, 'web', tempDir(t), 2, 1 << 20);
  const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile]);
  assert.equal(add.code, 0, add.stderr);
  const offsiteApi = offsite.daemon.client(createToken(offsite.dataDir, 'admin'));
  const ids = async (): Promise<string[]> => (await offsiteApi.snapshots('web')).snapshots.map((s) => s.id);
  await eventually('the first snapshot arrived', 60_000, async () => (await ids()).length === 1);
  const before = (await pair.peerStatus('primary')).cursor;
  assert.ok(before, 'the follower keeps a cursor');

  await source.daemon.stop();
  const rebuilt = havend(['store', 'rebuild-index', '--data', source.dataDir]);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  await source.restart();
  const second = await backupSeededTree(source, 'web', tempDir(t), 3, 1 << 20);

  await eventually('the snapshot after the rebuild arrived', 90_000, async () => (await ids()).length === 2);
  assert.deepEqual((await ids()).sort(), [first, second].sort());
  const after = await pair.peerStatus('primary');
  assert.notEqual(after.cursor?.epoch, before.epoch, 'the cursor moved to the new epoch');
  assert.equal(after.lastError, null);
  assert.equal(after.snapshotsPulled, 2);

  // list and remove: the peer's token file goes with it, its snapshots stay
  const list = await pair.havend(['peer', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as PeerList).peers.map((p) => p.peer.name), ['primary']);
  assert.ok(existsSync(join(offsite.dataDir, 'replication', 'primary.token')));
  assert.equal((statSync(join(offsite.dataDir, 'replication', 'primary.token')).mode & 0o777), 0o600);
  const removed = await pair.havend(['peer', 'remove', 'primary']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.ok(!existsSync(join(offsite.dataDir, 'replication', 'primary.token')));
  const gone = await pair.havend(['peer', 'status', 'primary']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /\[PEER_NOT_FOUND\]/);
  assert.equal((await ids()).length, 2);
});
