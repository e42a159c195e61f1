// Lag is first class (issue 14): when the source becomes unreachable, the follower's status
// says why, its metrics say it is failing, and once it has made no progress for its
// --lag-alert duration an alert names the peer and the last error (a PBS sync failed
// silently for months after a certificate change; here the cause does not matter).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertInfo } from '../../core/src/api/jobs.js';
import { createToken } from '../helpers/daemon.js';
import { backupSeededTree, eventually, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'app';

test('a follower whose source goes away reports the error, fails in its metrics and raises the lag alert', async (t) => {
  // the lag checked every 5 s (jobs.lagCheckSeconds' minimum) instead of every 30 s
  const pair = await replicationPair(t, GROUP, { env: { HAVEND_JOBS_LAG_CHECK_SECONDS: '5' } });
  const { source, offsite } = pair;
  await backupSeededTree(source, GROUP, tempDir(t), 2, 1 << 20);
  const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--lag-alert', '1s']);
  assert.equal(add.code, 0, add.stderr);
  const admin = offsite.daemon.client(createToken(offsite.dataDir, 'admin'));
  await eventually('the follower caught up', 60_000, async () => (await pair.peerStatus('primary')).snapshotsPulled === 1);
  const alerts = async (): Promise<AlertInfo[]> => {
    const { alerts: all } = await admin.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts');
    return all.filter((a) => a.key === 'replication.lag:primary');
  };
  assert.deepEqual(await alerts(), [], 'an up-to-date follower raises nothing, however quiet the source');

  await source.daemon.stop();
  await eventually('the follower noticed', 60_000, async () => (await pair.peerStatus('primary')).lastError?.code === 'SERVER_UNREACHABLE');
  const status = await pair.peerStatus('primary');
  assert.equal(status.state, 'failing');
  const scrape = await (await admin.request('GET', '/metrics')).setEncoding('utf8').toArray().then((parts) => parts.join(''));
  assert.match(scrape, /haven_replication_failing\{peer="primary"\} 1/);
  assert.match(scrape, /haven_replication_last_progress_timestamp_seconds\{peer="primary"\} \d/);

  await eventually('the lag alert', 45_000, async () => (await alerts()).some((a) => a.cleared === null));
  const [alert] = await alerts();
  assert.match(alert?.message ?? '', /No replication progress from primary .*Cannot reach/);
});
