// Pausing a peer (issue 14's replication page): the pause is kept in the peer's record, so
// the offsite restarted comes back paused; a paused follower brings nothing of a new backup
// (and refuses "Run now"), its queue names what it lacks, and resumed it pulls it. The lag
// history has the samples taken at each pull's end. Paused with a pull under way, the pull is
// held in flight, and editing the schedule (the puller starts over) does not wait for it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { LagHistory, PeerQueue } from '../../core/src/api/peer-activity.js';
import type { PeerStatus } from '../../core/src/api/replication.js';
import { createToken } from '../helpers/daemon.js';
import { backupSeededTree, eventually, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'app';

test('a paused peer stays paused across a restart, pulls nothing until resumed, and its queue shows what it lacks', { timeout: 150_000 }, async (t) => {
  const pair = await replicationPair(t, GROUP);
  const { source, offsite } = pair;
  await backupSeededTree(source, GROUP, tempDir(t), 1, 64 << 10);
  const adminToken = createToken(offsite.dataDir, 'admin');
  // Polled over the API (a CLI run per poll costs a node start); the CLI is run for pause, resume and status.
  const status = (): Promise<PeerStatus> => offsite.daemon.client(adminToken).json<PeerStatus>('GET', '/api/v1/peers/primary');
  await offsite.daemon.client(adminToken).json('POST', '/api/v1/peers', { name: 'primary', url: source.daemon.url, token: readFileSync(pair.tokenFile, 'utf8').trim() });
  await eventually('the follower caught up', 60_000, async () => (await status()).snapshotsPulled === 1);

  const pause = await pair.havend(['peer', 'pause', 'primary', '--json']);
  assert.equal(pause.code, 0, pause.stderr);
  const since = (JSON.parse(pause.stdout) as PeerStatus).peer.paused?.since;
  assert.ok(since, 'the status says since when the peer is paused');

  await offsite.restart();
  const admin = offsite.daemon.client(adminToken);
  const after = await status();
  assert.equal(after.state, 'paused');
  assert.equal(after.peer.paused?.since, since, 'the pause survived the restart, with its time');
  const scrape = await (await admin.request('GET', '/metrics')).setEncoding('utf8').toArray().then((parts) => parts.join(''));
  assert.match(scrape, /haven_replication_paused\{peer="primary"\} 1/);
  const text = await pair.havend(['peer', 'status', 'primary']);
  assert.match(text.stdout, /PAUSED since .* \(havend peer resume primary\)/);

  const second = await backupSeededTree(source, GROUP, tempDir(t), 2, 64 << 10);
  const queue = await admin.json<PeerQueue>('GET', '/api/v1/peers/primary/queue');
  assert.deepEqual(queue.snapshots.map((q) => q.snapshot), [second], 'the queue names the new backup');
  assert.equal(queue.error, null);
  assert.equal((await status()).snapshotsBehind, 1, 'asking the source set the count behind');
  await assert.rejects(admin.json('POST', '/api/v1/peers/primary/replicate', {}), (err: { code?: string }) => err.code === 'PEER_PAUSED', 'a paused peer refuses a pull now');
  // A follower brings a new backup within a second or two; paused, it must not in several.
  await new Promise((r) => setTimeout(r, 3_000));
  assert.equal((await status()).snapshotsPulled, 1, 'nothing arrived while paused');

  const resume = await pair.havend(['peer', 'resume', 'primary']);
  assert.equal(resume.code, 0, resume.stderr);
  await eventually('the resumed follower pulled the new backup', 60_000, async () => (await status()).snapshotsPulled === 2);
  const s = await status();
  assert.equal(s.peer.paused ?? null, null);
  assert.notEqual(s.state, 'paused');
  const history = await admin.json<LagHistory>('GET', '/api/v1/peers/primary/lag-history');
  assert.ok(history.samples.length >= 1, 'a pull that ends leaves a lag sample');
  assert.ok(history.samples.every((x) => x.lagSeconds >= 0 && x.snapshotsBehind >= 0));

  // paused again while the follower waits on the feed: the next backup's pull is held before
  // its objects, in flight; a new schedule (the puller starts over) does not wait for it
  await admin.json('POST', '/api/v1/peers/primary/pause', {});
  const third = await backupSeededTree(source, GROUP, tempDir(t), 3, 64 << 10);
  await eventually('the third backup held in flight', 30_000, async () => (await admin.json<PeerQueue>('GET', '/api/v1/peers/primary/queue')).inFlight?.snapshot === third);

  // the schedule and groups are edited too; a bad cron is a typed 400
  const edited = await admin.json<PeerStatus>('PATCH', '/api/v1/peers/primary', { schedule: '0 3 * * *', groups: [GROUP] });
  assert.equal(edited.state, 'paused', 'still paused after the puller started over');
  assert.equal(edited.peer.schedule, '0 3 * * *');
  assert.deepEqual(edited.peer.groups, [GROUP]);
  await assert.rejects(admin.json('PATCH', '/api/v1/peers/primary', { schedule: 'every day' }), (err: { code?: string }) => err.code === 'VALIDATION_FAILED');
  assert.equal((await status()).peer.schedule, '0 3 * * *');
});
