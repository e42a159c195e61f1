// Deletions and protection on the source, as a following offsite treats them (issue 14,
// ransomware safety) with two real havend: the protected flag follows the change feed both
// ways; with --propagate-deletes-after, a snapshot deleted on the source stays on the offsite
// as a pending deletion until its delay has passed, and a copy protected on the offsite is
// kept; when more than --delete-brake percent vanish at once (deleted while the offsite was
// down: one page of the feed), propagation pauses, nothing is deleted, an alert is raised,
// and `havend peer resume-deletes` lets the deletions go on. (Without propagation, nothing
// is deleted: pull-follow.test.ts.)

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AlertInfo } from '../../core/src/api/jobs.js';
import type { PeerStatus, PendingDeletion } from '../../core/src/api/replication.js';
import { createToken } from '../helpers/daemon.js';
import { backupSeededTree, eventually, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'files';
const BACKUPS = 6;
const DELAY_MS = 4_000;
/** How often the offsite looks for due deletions (daemon/src/areas/replication.ts), and a margin. */
const DUE_CHECK_MS = 5_500;

test('delayed deletion propagation, its brake, and the protected flag follow the source', async (t) => {
  const pair = await replicationPair(t, GROUP);
  const { source, offsite } = pair;
  const work = tempDir(t);
  const ids: string[] = [await backupSeededTree(source, GROUP, work, 1, 64 << 10)];
  for (let i = 1; i < BACKUPS; i++) {
    writeFileSync(join(work, 'src', `change-${i}.txt`), `change ${i}\n`);
    const r = await source.haven(['backup', '--group', GROUP, '--json', 'src'], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
    ids.push((JSON.parse(r.stdout) as { snapshot: { id: string } }).snapshot.id);
  }
  const sourceAdmin = source.daemon.client(createToken(source.dataDir, 'admin'));
  const offsiteToken = createToken(offsite.dataDir, 'admin');
  const offsiteAdmin = () => offsite.daemon.client(offsiteToken);
  const onOffsite = async () => new Map((await offsiteAdmin().snapshots(GROUP)).snapshots.map((s) => [s.id, s]));
  // over REST rather than the CLI: these are read while a delay of seconds runs
  const status = () => offsiteAdmin().json<PeerStatus>('GET', '/api/v1/peers/follower');

  const add = await pair.havend(['peer', 'add', 'follower', '--url', source.daemon.url, '--token-file', pair.tokenFile,
    '--propagate-deletes-after', `${DELAY_MS / 1000}s`, '--delete-brake', '30']);
  assert.equal(add.code, 0, add.stderr);
  await eventually('the follower pulled every snapshot', 60_000, async () => (await onOffsite()).size === BACKUPS);

  // protection follows the feed, both ways
  await sourceAdmin.json('POST', `/api/v1/snapshots/${ids[1]}/protect`);
  await eventually('protected on the offsite too', 30_000, async () => (await onOffsite()).get(ids[1] as string)?.protected === true);
  await sourceAdmin.json('POST', `/api/v1/snapshots/${ids[1]}/unprotect`);
  await eventually('unprotected on the offsite too', 30_000, async () => (await onOffsite()).get(ids[1] as string)?.protected === false);

  // one deletion (1 of 6, under the brake) waits for its delay, then goes; a copy protected here stays
  await offsiteAdmin().json('POST', `/api/v1/snapshots/${ids[2]}/protect`);
  await sourceAdmin.deleteSnapshot(ids[0] as string);
  let pending: PendingDeletion | undefined;
  await eventually('a pending deletion', 30_000, async () => {
    pending = (await status()).pendingDeletions.find((d) => d.snapshot === ids[0]);
    return pending !== undefined;
  });
  assert.ok(pending && Date.parse(pending.due) - Date.parse(pending.seen) === DELAY_MS, 'due after the delay');
  const listed = await onOffsite();
  if (Date.now() < Date.parse(pending.due)) assert.ok(listed.has(ids[0] as string), 'kept until due');
  await sourceAdmin.deleteSnapshot(ids[2] as string);
  await eventually('the deleted snapshot is gone from the offsite after its delay', 30_000, async () => !(await onOffsite()).has(ids[0] as string));
  await eventually('the protected copy was let go from the pending list', 30_000, async () => (await status()).pendingDeletions.length === 0);
  assert.ok((await onOffsite()).has(ids[2] as string), 'a protected copy is never deleted by propagation');

  // two of the remaining (2 of 5: 40% > 30%) deleted while the offsite is down arrive in one page
  const doomed = ids.slice(3, 5);
  await offsite.daemon.stop();
  for (const id of doomed) await sourceAdmin.deleteSnapshot(id);
  await offsite.restart();
  await eventually('the brake paused propagation', 30_000, async () => (await status()).deletesPaused !== null);
  const braked = await pair.peerStatus('follower');
  assert.equal(braked.pendingDeletions.length, 2);
  const text = (await pair.havend(['peer', 'status', 'follower'])).stdout;
  assert.match(text, /PAUSED since .*2 of 5 replicated snapshot\(s\) of group files vanished at once \(brake 30%\)/);
  assert.match(text, new RegExp(`pending deletion: ${(doomed[0] as string).slice(0, 12)} \\(files\\), due `));
  const alerts = (await offsiteAdmin().json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts;
  assert.ok(alerts.some((a) => a.key === 'replication.brake:follower' && a.severity === 'critical'), 'an alert was raised');
  const scrape = await (await offsiteAdmin().request('GET', '/metrics')).setEncoding('utf8').toArray().then((parts) => parts.join(''));
  assert.match(scrape, /haven_replication_deletes_paused\{peer="follower"\} 1/);
  assert.match(scrape, /haven_replication_pending_deletions\{peer="follower"\} 2/);
  // past the delay and a look for due deletions
  const due = Math.max(...braked.pendingDeletions.map((d) => Date.parse(d.due)));
  await new Promise((r) => setTimeout(r, Math.max(0, due + DUE_CHECK_MS - Date.now())));
  const held = await onOffsite();
  assert.ok(doomed.every((id) => held.has(id)), 'nothing deleted while the brake holds');

  const resumed = await pair.havend(['peer', 'resume-deletes', 'follower', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  await eventually('the deletions went on after the resume', 30_000, async () => {
    const now = await onOffsite();
    return doomed.every((id) => !now.has(id));
  });
  const after = await pair.peerStatus('follower');
  assert.deepEqual([after.deletesPaused, after.pendingDeletions.length], [null, 0]);
  assert.ok(!(await offsiteAdmin().json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts.some((a) => a.key === 'replication.brake:follower'), 'the alert was cleared');
  assert.deepEqual([...(await onOffsite()).keys()].sort(), [ids[1], ids[2], ids[5]].sort());
});
