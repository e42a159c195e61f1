// Offsite replication end to end (issue 14): two real havend on 127.0.0.1 with separate state
// directories. Three backups of a real tree on the source with the real haven client, then
// `havend replicate --wait` on the offsite: the same snapshot ids, and every snapshot
// restores bit-exact from the offsite with a token of the offsite. Then follow mode: a new
// backup appears on the offsite by itself; a deletion on the source removes nothing there.
// Both datastores check clean at the end.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import type { PeerStatus, ReplicateResponse } from '../../core/src/api/replication.js';
import type { VerifyRun, VerifyStatus } from '../../core/src/api/verify.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { createToken, havend } from '../helpers/daemon.js';
import { isRoot } from '../helpers/prereq.js';
import { seededBytes } from '../helpers/real-data.js';
import { eventually, replicationPair } from '../helpers/replication-pair.js';
import { makeSourceTree } from '../helpers/source-tree.js';
import { describeTree, type Described } from '../helpers/tree-compare.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'web';

type BackupJson = { snapshot: { id: string } };

function withoutBlocks(m: Map<string, Described>): Map<string, Omit<Described, 'blocks'>> {
  return new Map([...m].map(([k, { blocks: _blocks, ...rest }]) => [k, rest]));
}

test('pull three snapshots, restore them bit-exact from the offsite, then follow the source', async (t) => {
  const pair = await replicationPair(t, GROUP);
  const { source, offsite } = pair;
  const posix = createPosixOps();
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(src);
  await makeSourceTree(src, posix, { asRoot: isRoot(), largeBytes: 80 << 20 });

  // three backups, the tree changing between them; what each one saw is kept to compare
  const expected = new Map<string, Map<string, Omit<Described, 'blocks'>>>();
  for (let i = 0; i < 3; i++) {
    if (i > 0) {
      writeFileSync(join(src, `new-${i}.bin`), seededBytes((2 + i) << 20, `new-${i}`));
      writeFileSync(join(src, 'a.txt'), `hello haven, version ${i}\n`);
    }
    const r = await source.haven(['backup', '--group', GROUP, '--json', 'src'], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
    expected.set((JSON.parse(r.stdout) as BackupJson).snapshot.id, withoutBlocks(await describeTree(src, posix)));
  }

  // the protected flag travels with the snapshot
  const sourceAdmin = source.daemon.client(createToken(source.dataDir, 'admin'));
  const protectedId = [...expected.keys()][1] as string;
  await sourceAdmin.json('POST', `/api/v1/snapshots/${protectedId}/protect`);

  // a schedule far away: only the pulls this test asks for run
  const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *', '--json']);
  assert.equal(add.code, 0, add.stderr);
  const pulled = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  assert.equal(pulled.code, 0, pulled.stderr);
  const result = JSON.parse(pulled.stdout) as ReplicateResponse;
  assert.equal(result.pulled, 3);
  assert.equal(result.behind, 0);

  const offsiteApi = offsite.daemon.client(offsite.token);
  const sourceApi = source.daemon.client(source.token);
  const ids = (await sourceApi.snapshots(GROUP)).snapshots.map((s) => s.id);
  assert.deepEqual((await offsiteApi.snapshots(GROUP)).snapshots.map((s) => s.id), ids, 'the same snapshot ids on both sides');

  for (const [id, tree] of expected) {
    const target = join(work, `restored-${id.slice(0, 8)}`);
    const r = await offsite.haven(['restore', id, '--target', target, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(withoutBlocks(await describeTree(join(target, 'src'), posix)), tree, `snapshot ${id.slice(0, 12)} restores bit-exact from the offsite`);
    rmSync(target, { recursive: true, force: true });
  }

  const offsiteAdminApi = offsite.daemon.client(createToken(offsite.dataDir, 'admin'));
  // The offsite verifies what it pulled from disk again, after the pull rather than beside it:
  // one run of new snapshots, started once the pull's task had ended, covering all three.
  const pullTask = await offsiteAdminApi.json<TaskInfo>('GET', `/api/v1/tasks/${result.task as string}`);
  let runs: VerifyRun[] = [];
  await eventually('the pulled snapshots were verified', 60_000, async () => {
    runs = (await offsiteAdminApi.json<VerifyStatus>('GET', '/api/v1/verify')).history.filter((r) => r.kind === 'new-snapshots' && r.status === 'succeeded');
    return runs.length > 0;
  });
  assert.equal(runs.length, 1, JSON.stringify(runs));
  assert.ok((runs[0] as VerifyRun).started >= (pullTask.ended as string), `verified after the pull ended (${pullTask.ended}): ${JSON.stringify(runs[0])}`);
  assert.equal((runs[0] as VerifyRun).summary?.snapshots, 3);
  assert.deepEqual((await offsiteApi.snapshots(GROUP)).snapshots.filter((s) => s.protected).map((s) => s.id), [protectedId], 'protected on both sides');

  // A second pull finds nothing to do; a snapshot the offsite deleted itself is not fetched again.
  const newest = ids[ids.length - 1] as string;
  await offsiteAdminApi.deleteSnapshot(newest);
  const again = JSON.parse((await pair.havend(['replicate', 'primary', '--wait', '--json'])).stdout) as ReplicateResponse;
  assert.deepEqual([again.pulled, again.behind, again.objectsFetched], [0, 0, 0]);
  assert.ok(!(await offsiteApi.snapshots(GROUP)).snapshots.some((s) => s.id === newest), 'deleted on the offsite, not brought back');

  // follow mode: the same source as another peer would clash with the group pulled above...
  const clash = await pair.havend(['peer', 'add', 'again', '--url', source.daemon.url, '--token-file', pair.tokenFile]);
  assert.notEqual(clash.code, 0);
  assert.match(clash.stderr, /\[PEER_GROUP_CLASH\]/);
  // ...so it takes a prefix: its snapshots come under `mirror-web` (records re-encoded for that group)
  const follow = await pair.havend(['peer', 'add', 'follower', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--group-prefix', 'mirror-']);
  assert.equal(follow.code, 0, follow.stderr);
  const offsiteAdmin = offsiteAdminApi;
  await eventually('the follower pulled the three snapshots', 120_000, async () => (await offsiteAdmin.snapshots('mirror-web')).snapshots.length === 3);

  // a backup on the source shows up on the offsite by itself, within seconds (bounded generously)
  writeFileSync(join(src, 'followed.txt'), 'followed\n');
  const fourth = await source.haven(['backup', '--group', GROUP, '--json', 'src'], { cwd: work });
  assert.equal(fourth.code, 0, fourth.stderr);
  await eventually('the new snapshot reached the offsite', 60_000, async () => (await offsiteAdmin.snapshots('mirror-web')).snapshots.length === 4);

  // a deletion on the source is not propagated (the next backup shows the follower read past it)
  await sourceAdmin.deleteSnapshot(ids[0] as string);
  writeFileSync(join(src, 'after-delete.txt'), 'after\n');
  assert.equal((await source.haven(['backup', '--group', GROUP, 'src'], { cwd: work })).code, 0);
  await eventually('the backup after the deletion reached the offsite', 60_000, async () => (await offsiteAdmin.snapshots('mirror-web')).snapshots.length === 5);
  assert.ok((await offsiteApi.snapshots(GROUP)).snapshots.some((s) => s.id === ids[0]), 'the deleted snapshot stays on the offsite');

  const status: PeerStatus = await pair.peerStatus('follower');
  assert.equal(status.snapshotsBehind, 0);
  assert.equal(status.lastError, null);
  assert.equal(status.snapshotsPulled, 5);

  for (const side of [source, offsite]) {
    await side.daemon.stop();
    const check = havend(['store', 'check', '--data', side.dataDir, '--json']);
    assert.equal(check.code, 0, `store check of ${side === source ? 'the source' : 'the offsite'}: ${check.stdout}${check.stderr}`);
  }
});
