// A peer's bandwidth limit and time windows against two real havend (issue 14): a pull at
// --rate-limit R takes at least (bytes - one chunk of the response) / R; outside every window
// a pull waits and the peer's status says until when; editing the peer (PATCH through
// `havend peer edit`) lifts the window and the waiting pull goes on. Then a scheduled pass
// sees a deletion in the source's listing and its brake holds it (and `resume-deletes
// --drop-pending` keeps the snapshot).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerStatus, ReplicateResponse } from '../../core/src/api/replication.js';
import { createToken } from '../helpers/daemon.js';
import { backupSeededTree, eventually, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'slow';
const RATE_MB = 2;
/** The largest piece of a response the limiter lets through before charging it (a socket read). */
const SLACK_BYTES = 256 << 10;

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

test('a rate-limited pull takes at least bytes / rate; outside its window a peer waits until the window is edited away; a pass sees deletions', async (t) => {
  const pair = await replicationPair(t, GROUP);
  const work = tempDir(t);
  const first = await backupSeededTree(pair.source, GROUP, work, 4, 1 << 20);

  const add = await pair.havend(['peer', 'add', 'primary', '--url', pair.source.daemon.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *',
    '--rate-limit', String(RATE_MB), '--json']);
  assert.equal(add.code, 0, add.stderr);
  assert.equal((JSON.parse(add.stdout) as PeerStatus).peer.rateLimit, RATE_MB);
  const started = performance.now();
  const pulled = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  const seconds = (performance.now() - started) / 1000;
  assert.equal(pulled.code, 0, pulled.stderr);
  const r = JSON.parse(pulled.stdout) as ReplicateResponse;
  assert.equal(r.pulled, 1);
  assert.ok(r.bytesFetched >= 4 << 20, `fetched ${r.bytesFetched} bytes`);
  const floor = (r.bytesFetched - SLACK_BYTES) / (RATE_MB * 1e6);
  t.diagnostic(`${r.bytesFetched} bytes at ${RATE_MB} MB/s in ${seconds.toFixed(2)} s (at least ${floor.toFixed(2)} s)`);
  assert.ok(seconds >= floor, `the pull took ${seconds.toFixed(2)} s, less than ${floor.toFixed(2)} s`);

  // a window that opens in two hours (the appliance's time zone is this process's)
  const opens = Date.now() + 2 * 3_600_000;
  const window = `${hhmm(opens)}-${hhmm(opens + 3_600_000)}`;
  const bad = await pair.havend(['peer', 'edit', 'primary', '--window', 'Mon-Fry 19:00-07:00']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /\[PEER_WINDOW_INVALID\]/);
  const edit = await pair.havend(['peer', 'edit', 'primary', '--window', window, '--rate-limit', 'none', '--json']);
  assert.equal(edit.code, 0, edit.stderr);
  assert.deepEqual((JSON.parse(edit.stdout) as PeerStatus).peer.windows, [window]);

  const second = await backupSeededTree(pair.source, GROUP, tempDir(t), 2, 1 << 20);
  assert.equal((await pair.havend(['replicate', 'primary'])).code, 0);
  await eventually('the peer waits for its window', 30_000, async () => (await pair.peerStatus('primary')).state === 'waiting');
  const waiting = await pair.peerStatus('primary');
  assert.equal(new Date(waiting.outsideWindowUntil as string).getTime(), Math.floor(opens / 60_000) * 60_000, 'until the window opens');
  const text = await pair.havend(['peer', 'status', 'primary']);
  assert.match(text.stdout, /outside window until /);
  const offsiteApi = pair.offsite.daemon.client(pair.offsite.token);
  assert.ok(!(await offsiteApi.snapshots(GROUP)).snapshots.some((s) => s.id === second), 'nothing pulled outside the window');

  assert.equal((await pair.havend(['peer', 'edit', 'primary', '--no-windows'])).code, 0);
  const joined = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  assert.equal(joined.code, 0, joined.stderr);
  assert.ok((await offsiteApi.snapshots(GROUP)).snapshots.some((s) => s.id === second), 'pulled once the window was lifted');
  const after = await pair.peerStatus('primary');
  assert.deepEqual([after.state, after.outsideWindowUntil, after.peer.rateLimit], ['idle', null, null]);

  // a scheduled peer sees deletions in its pass's listing: with propagation turned on by an
  // edit, 1 of the 2 snapshots gone (50%) trips the default brake (10%); the copy stays
  assert.equal((await pair.havend(['peer', 'edit', 'primary', '--propagate-deletes-after', '1h'])).code, 0);
  await pair.source.daemon.client(createToken(pair.source.dataDir, 'admin')).deleteSnapshot(first);
  assert.equal((await pair.havend(['replicate', 'primary', '--wait'])).code, 0);
  const braked = await pair.peerStatus('primary');
  assert.deepEqual([braked.peer.deleteBrake, braked.pendingDeletions.map((d) => d.snapshot)], [10, [first]]);
  assert.equal(Date.parse(braked.pendingDeletions[0]!.due) - Date.parse(braked.pendingDeletions[0]!.seen), 3_600_000);
  assert.match(braked.deletesPaused?.reason ?? '', /1 of 2 replicated snapshot\(s\) of group slow vanished at once \(brake 10%\)/);
  assert.ok((await offsiteApi.snapshots(GROUP)).snapshots.some((s) => s.id === first), 'kept on the offsite');
  const dropped = await pair.havend(['peer', 'resume-deletes', 'primary', '--drop-pending', '--json']);
  assert.equal(dropped.code, 0, dropped.stderr);
  assert.deepEqual([(JSON.parse(dropped.stdout) as PeerStatus).deletesPaused, (JSON.parse(dropped.stdout) as PeerStatus).pendingDeletions], [null, []]);
  assert.ok((await offsiteApi.snapshots(GROUP)).snapshots.some((s) => s.id === first), 'dropped pending deletions keep their snapshots');
});
