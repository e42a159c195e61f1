// The 3-2-1 tile's offsite light on both sides (issue 15), with two real havend: the source
// learns what its offsite holds from the cursor of the offsite's changes requests. Its plan
// entry names the offsite's replication token (`offsite`): red before the offsite asked, green
// with nothing behind after a pull, a lag and a snapshot behind once a new backup is not
// pulled yet, green again after the next pull. On the offsite, the group a peer brings is
// this appliance's offsite copy, green while the peer keeps up.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlanEntryStatus } from '../../core/src/api/plan.js';
import { createToken } from '../helpers/daemon.js';
import { backupSeededTree, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'web';

test('the source sees its offsite confirm each pull; the offsite sees itself as the offsite copy', async (t) => {
  const pair = await replicationPair(t, GROUP);
  const { source, offsite } = pair;
  const sourceAdmin = source.daemon.client(createToken(source.dataDir, 'admin'));
  const entry = async (): Promise<PlanEntryStatus> => sourceAdmin.json<PlanEntryStatus>('GET', `/api/v1/plan/${GROUP}`);
  await sourceAdmin.json('PUT', `/api/v1/plan/${GROUP}`, { rpo: '1d', offsitePeer: 'offsite' });

  let s = await entry();
  assert.equal(s.offsite.level, 'red');
  assert.match(s.offsite.reason, /has not asked for changes yet/);
  assert.equal(s.threeTwoOne.copies.count, 1, s.threeTwoOne.copies.reason);
  assert.equal(s.threeTwoOne.media.level, 'amber', 'a plain directory datastore is one medium');

  const work = tempDir(t);
  await backupSeededTree(source, GROUP, work, 3, 300_000);
  // a schedule far away: only the pulls asked for here run
  const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *']);
  assert.equal(add.code, 0, add.stderr);
  const pull = async (): Promise<void> => {
    const r = await pair.havend(['replicate', 'primary', '--wait']);
    assert.equal(r.code, 0, r.stderr);
  };
  await pull();

  s = await entry();
  assert.equal(s.offsite.level, 'green', s.offsite.reason);
  assert.equal(s.offsite.role, 'source');
  assert.deepEqual([s.offsite.snapshotsHeld, s.offsite.snapshotsBehind, s.offsite.lagSeconds], [1, 0, 0]);
  assert.equal(s.threeTwoOne.copies.count, 3, s.threeTwoOne.copies.reason);

  // a backup the offsite has not pulled: behind by one, the lag is its age
  await backupSeededTree(source, GROUP, tempDir(t), 2, 200_000);
  await new Promise((r) => setTimeout(r, 1100));
  s = await entry();
  assert.equal(s.offsite.snapshotsBehind, 1, s.offsite.reason);
  assert.ok((s.offsite.lagSeconds ?? 0) >= 1, `lag ${String(s.offsite.lagSeconds)}`);
  assert.equal(s.offsite.level, 'green', 'within the 1h bound');
  assert.match(s.offsite.reason, /lags .*1 snapshot\(s\) not confirmed/);

  await pull();
  s = await entry();
  assert.deepEqual([s.offsite.snapshotsHeld, s.offsite.snapshotsBehind, s.offsite.lagSeconds], [2, 0, 0], s.offsite.reason);

  // the offsite's own plan entry: the group its peer brings is the offsite copy
  const offsiteAdmin = offsite.daemon.client(createToken(offsite.dataDir, 'admin'));
  const o = await offsiteAdmin.json<PlanEntryStatus>('PUT', `/api/v1/plan/${GROUP}`, { rpo: '1d' });
  assert.equal(o.offsite.role, 'offsite');
  assert.equal(o.offsite.level, 'green', o.offsite.reason);
  assert.match(o.offsite.reason, /pulled from primary: lag 0 s/);
  assert.equal(o.threeTwoOne.copies.count, 3, o.threeTwoOne.copies.reason);
});
