// System test (root, real btrfs on loop devices): growing and shrinking the pool with the
// admin CLI. A third disk is added (confirmed, wiped) to a two-disk raid1, then one of the
// original members is removed (its data moved to the others, as a task); removing another
// would leave one disk and is refused. The backup restores bit-exact throughout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import type { PoolStatus } from '../../core/src/api/pool.js';
import { codeOf, diskOf, havendCli, poolWorld, writeRealFiles } from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

test('add a member, remove another, refuse going below two', async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const { lab, dataDir, api, disks, client } = await poolWorld(t, 2);
  writeRealFiles(join(lab.dir, 'src'), 8e6);
  const gen1 = await client.backup('src', 'files');
  const cli = <T>(args: string[]): { code: number; value: T | null; stderr: string } => {
    const r = havendCli([...args, '--data', dataDir, '--json']);
    return { code: r.code, value: r.code === 0 ? (JSON.parse(r.stdout) as T) : null, stderr: r.stderr };
  };

  const third = lab.disk('c');
  const disk = await diskOf(api, third);
  const refused = cli<PoolStatus>(['pool', 'add', `${third.dev}=zzzz`]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /WIPE_NOT_CONFIRMED/);
  const grown = cli<PoolStatus>(['pool', 'add', `${third.dev}=${codeOf(disk)}`]);
  assert.equal(grown.code, 0, grown.stderr);
  assert.equal(grown.value?.members.length, 3);
  assert.ok(grown.value?.members.some((m) => m.diskId === disk.id && !m.missing));
  assert.equal((await diskOf(api, third)).role, 'pool-member');

  const first = await diskOf(api, disks[0] as (typeof disks)[number]);
  const devid = grown.value?.members.find((m) => m.diskId === first.id)?.devid as number;
  const removed = cli<TaskInfo>(['pool', 'remove', String(devid), '--wait']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.value?.status, 'succeeded', removed.value?.result ?? '');
  const shrunk = cli<PoolStatus>(['pool', 'status']);
  assert.equal(shrunk.code, 0, 'healthy');
  assert.deepEqual(shrunk.value?.members.map((m) => m.diskId).sort(), [disk.id, (await diskOf(api, disks[1] as (typeof disks)[number])).id].sort());
  assert.equal((await diskOf(api, disks[0] as (typeof disks)[number])).role, 'unassigned', 'the removed disk is released');

  const again = cli<TaskInfo>(['pool', 'remove', String(shrunk.value?.members[0]?.devid)]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /POOL_BELOW_REDUNDANCY/);
  await client.restoresExactly(gen1, 'src');
});
