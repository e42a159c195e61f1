// Pausing a peer (issue 14's replication page): the pause is kept in the peer's record, so
// the offsite restarted comes back paused; a paused follower brings nothing of a new backup
// (and refuses "Run now"), its queue names what it lacks, and resumed it pulls it. The lag
// history has the samples taken at each pull's end.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LagHistory, PeerQueue } from '../../core/src/api/peer-activity.js';
import type { PeerStatus } from '../../core/src/api/replication.js';
import { createToken } from '../helpers/daemon.js';
import { backupSeededTree, eventually, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'app';

test('a paused peer stays paused across a restart, pulls nothing until resumed, and its queue shows what it lacks', async (t) => {
  const pair = await replicationPair(t, GROUP);
  const { source, offsite } = pair;
  await backupSeededTree(source, GROUP, tempDir(t), 2, 256 << 10);
  const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile]);
  assert.equal(add.code, 0, add.stderr);
  await eventually('the follower caught up', 60_000, async () => (await pair.peerStatus('primary')).snapshotsPulled === 1);

  const pause = await pair.havend(['peer', 'pause', 'primary', '--json']);
  assert.equal(pause.code, 0, pause.stderr);
  const since = (JSON.parse(pause.stdout) as PeerStatus).peer.paused?.since;
  assert.ok(since, 'the status says since when the peer is paused');

  await offsite.restart();
  const admin = offsite.daemon.client(createToken(offsite.dataDir, 'admin'));
  const after = await pair.peerStatus('primary');
  assert.equal(after.state, 'paused');
  assert.equal(after.peer.paused?.since, since, 'the pause survived the restart, with its time');
  const text = await pair.havend(['peer', 'status', 'primary']);
  assert.match(text.stdout, /PAUSED since .* \(havend peer resume primary\)/);

  const second = await backupSeededTree(source, GROUP, tempDir(t), 3, 256 << 10);
  const queue = await admin.json<PeerQueue>('GET', '/api/v1/peers/primary/queue');
  assert.deepEqual(queue.snapshots.map((q) => q.snapshot), [second], 'the queue names the new backup');
  assert.equal(queue.error, null);
  assert.equal((await pair.peerStatus('primary')).snapshotsBehind, 1, 'asking the source set the count behind');
  const runNow = await pair.havend(['replicate', 'primary']);
  assert.notEqual(runNow.code, 0, 'a paused peer refuses a pull now');
  assert.match(runNow.stderr, /primary is paused/);
  // A follower brings a new backup within a second or two; paused, it must not in several.
  await new Promise((r) => setTimeout(r, 4_000));
  assert.equal((await pair.peerStatus('primary')).snapshotsPulled, 1, 'nothing arrived while paused');

  const resume = await pair.havend(['peer', 'resume', 'primary']);
  assert.equal(resume.code, 0, resume.stderr);
  await eventually('the resumed follower pulled the new backup', 60_000, async () => (await pair.peerStatus('primary')).snapshotsPulled === 2);
  const s = await pair.peerStatus('primary');
  assert.equal(s.peer.paused ?? null, null);
  assert.notEqual(s.state, 'paused');
  const history = await admin.json<LagHistory>('GET', '/api/v1/peers/primary/lag-history');
  assert.ok(history.samples.length >= 1, 'a pull that ends leaves a lag sample');
  assert.ok(history.samples.every((x) => x.lagSeconds >= 0 && x.snapshotsBehind >= 0));
});
