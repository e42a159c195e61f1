// A prune of hundreds of snapshots through the real daemon and CLI, as continuous protection
// leaves a group (a snapshot a minute): the deletions go in batches (one commit each), the
// protected snapshot and the newest stay, the datastore's logical size follows the deletions
// even while the daemon is still measuring the snapshots (it never measured these: the
// datastore was written before it started), and `havend prune --json`'s long answer reaches
// a pipe whole (it was cut at the pipe's 64 KiB when havend exited at once).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DatastoreUsage } from '../../core/src/api/datastore.js';
import type { PruneResponse } from '../../core/src/api/retention.js';
import type { SnapshotList, SnapshotSummary } from '../../core/src/api/snapshots.js';
import { commitSample, openDatastore } from '../helpers/datastore.js';
import { runBounded } from '../helpers/bounded-run.js';
import { createToken, HAVEND, havend, startDaemon } from '../helpers/daemon.js';
import { haven } from '../helpers/haven-cli.js';
import { tempDir } from '../helpers/tmp.js';

const SNAPSHOTS = 600;
const PROTECTED = 100;
/** sampleBackup(3, 2000): three files of 2,000 bytes. */
const SNAPSHOT_BYTES = 6000;
const T0 = Date.UTC(2026, 10, 1, 8);

test(`prune of ${SNAPSHOTS} snapshots a minute apart: batches, the protected one kept, sizes followed, the whole answer piped`, { timeout: 180_000 }, async (t) => {
  const dataDir = tempDir(t);
  const ds = await openDatastore(join(dataDir, 'datastore'));
  const ids: string[] = [];
  for (let i = 0; i < SNAPSHOTS; i++) ids.push((await commitSample(ds, 'watch', T0 + i * 60_000)).summary.id);
  await ds.catalog.protect(ids[PROTECTED] as string, 'test');
  await ds.store.close();

  const token = createToken(dataDir, 'admin');
  const daemon = await startDaemon(t, { dataDir });
  const api = daemon.client(token);

  // The newest few of a long list, and how many the group holds.
  const newest = await api.json<SnapshotList>('GET', '/api/v1/groups/watch/snapshots?last=5');
  assert.deepEqual(newest.snapshots.map((s) => s.id), ids.slice(-5));
  assert.equal(newest.total, SNAPSHOTS);
  await assert.rejects(api.json('GET', '/api/v1/groups/watch/snapshots?last=0'), /querystring\/last must be >= 1/);

  // The preview into a pipe whose reader starts a second late: the answer outgrows the
  // pipe's buffer, and the rest must still arrive.
  const args = ['prune', '--dry-run', '--group', 'watch', '--keep-last', '2', '--json', '--data', dataDir].map((a) => `'${a}'`).join(' ');
  const piped = await runBounded('sh', ['-c', `'${HAVEND}' ${args} | (sleep 1; cat)`], { env: { PATH: process.env.PATH }, timeoutMs: 60_000 });
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(piped.stdoutBytes.length > 128 * 1024, `the answer (${piped.stdoutBytes.length} bytes) is longer than a pipe holds`);
  const preview = JSON.parse(piped.stdout) as PruneResponse; // throws on an answer cut short
  assert.equal(preview.summary.removed, SNAPSHOTS - 3);
  assert.equal(preview.summary.groups[0]?.snapshots.length, SNAPSHOTS);

  // Right after the start, while the daemon measures the snapshots it never saw.
  const r = havend(['prune', '--group', 'watch', '--keep-last', '2', '--json', '--data', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  const done = JSON.parse(r.stdout) as PruneResponse;
  const group = done.summary.groups[0];
  assert.equal(done.summary.removed, SNAPSHOTS - 3);
  assert.deepEqual(group?.skipped, []);
  const left = (await api.json<{ snapshots: SnapshotSummary[] }>('GET', '/api/v1/groups/watch/snapshots')).snapshots.map((s) => s.id);
  assert.deepEqual(left, [ids[PROTECTED], ...ids.slice(-2)]);
  assert.deepEqual(new Set(group?.removed), new Set(ids.filter((id) => !left.includes(id))));

  let usage = await api.json<DatastoreUsage>('GET', '/api/v1/datastore');
  for (let i = 0; usage.pendingSizes > 0 && i < 600; i++) {
    await new Promise((r) => setTimeout(r, 100));
    usage = await api.json<DatastoreUsage>('GET', '/api/v1/datastore');
  }
  assert.equal(usage.pendingSizes, 0);
  assert.equal(usage.snapshots, 3);
  assert.equal(usage.logicalBytes, 3 * SNAPSHOT_BYTES);

  // After a restart the sum is read back from the stored sizes, less a snapshot deleted
  // while the daemon was stopped (its stored size is forgotten, not counted).
  await daemon.stop();
  const offline = await openDatastore(join(dataDir, 'datastore'));
  await offline.catalog.delete(left[1] as string, 'test'); // the older of the newest two
  await offline.store.close();
  const again = await startDaemon(t, { dataDir });
  const after = await again.client(token).json<DatastoreUsage>('GET', '/api/v1/datastore');
  assert.equal(after.snapshots, 2);
  assert.equal(after.logicalBytes, 2 * SNAPSHOT_BYTES);

  // The client lists a group's newest N.
  const env = { HAVEN_SERVER: again.url, HAVEN_TOKEN: token, HAVEN_CONFIG: join(dataDir, 'client.json') };
  const listed = await haven(['snapshots', '--group', 'watch', '--last', '1', '--json'], { env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual((JSON.parse(listed.stdout) as SnapshotList).snapshots.map((s) => s.id), [ids[SNAPSHOTS - 1]]);
  const refused = await haven(['snapshots', '--group', 'watch', '--last', '0'], { env });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--last takes a count of at least 1/);
});
