// System test (root, real btrfs on loop devices): a raid1 pool over three loop disks created
// with `havend pool create`, real files backed up with the `haven` CLI into the datastore on
// it, one mirror of a segment's bytes overwritten in a member's backing file, a scrub through
// `havend pool scrub` repairs it, the device error counters show it, and every snapshot
// restores bit-exact with `haven restore`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import type { PoolStatus } from '../../core/src/api/pool.js';
import { createToken } from '../helpers/daemon.js';
import { PoolLab } from '../helpers/pool-lab.js';
import {
  HavenClient, POOL_TEST_ENV, createPoolWithCli, dataDirOf, havendCli, openAlerts, poolStatus, waitFor, writeRealFiles,
} from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

/** Overwrites up to 4 MiB of one mirror of `file`'s first extent, in the member's backing file. */
function corruptOneMirror(file: string, anyMember: string): { device: string; bytes: number } {
  const frag = execFileSync('filefrag', ['-v', file], { encoding: 'utf8' });
  const m = /^\s*0:\s+\d+\.\.\s*\d+:\s+(\d+)\.\.\s*(\d+):/m.exec(frag);
  assert.ok(m, `no extent in filefrag output:\n${frag}`);
  const logical = Number(m[1]) * 4096;
  const length = (Number(m[2]) - Number(m[1]) + 1) * 4096;
  const map = execFileSync('btrfs-map-logical', ['-l', String(logical), anyMember], { encoding: 'utf8' });
  const mirror = /^mirror 1 logical \d+ physical (\d+) device (\S+)/m.exec(map);
  assert.ok(mirror, `btrfs-map-logical gave no mirror:\n${map}`);
  const device = mirror[2] as string;
  const backing = execFileSync('losetup', ['--noheadings', '--output', 'BACK-FILE', device], { encoding: 'utf8' }).trim();
  const bytes = Math.min(length, 4 << 20);
  const fd = openSync(backing, 'r+');
  try {
    writeSync(fd, randomBytes(bytes), 0, bytes, Number(mirror[1]));
  } finally {
    closeSync(fd);
  }
  execFileSync('sync');
  execFileSync('sh', ['-c', 'echo 3 > /proc/sys/vm/drop_caches']);
  return { device, bytes };
}

test('raid1 over three loop disks: backup, a corrupted mirror repaired by scrub with counters, every snapshot restores bit-exact', async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs') && hasCommand('filefrag'), 'btrfs-progs and e2fsprogs (filefrag) are needed')) return;
  const lab = new PoolLab(t);
  const dataDir = dataDirOf(lab);
  const token = createToken(dataDir, 'admin');
  const daemon = await lab.daemon({ dataDir, env: POOL_TEST_ENV });
  const api = daemon.client(token);

  const before = await poolStatus(api);
  assert.equal(before.kind, 'directory');
  const disks = [lab.disk('a'), lab.disk('b'), lab.disk('c')];
  const created = await createPoolWithCli(api, dataDir, 'raid1', disks);
  assert.equal(created.kind, 'btrfs');
  assert.equal(created.profile, 'raid1');
  assert.equal(created.health, 'healthy', created.summary);
  assert.equal(created.members.length, 3);
  assert.equal(created.datastorePath, join(dataDir, 'pool', 'datastore'));
  assert.ok(created.members.every((m) => m.diskId !== null && m.devicePath !== null));

  const client = new HavenClient(lab, daemon, token);
  const src = join(lab.dir, 'src');
  writeRealFiles(src, 20e6);
  const gen1 = await client.backup('src', 'server');
  writeRealFiles(src, 28e6); // more files, and one changed in its middle
  const changed = join(src, [...gen1.tree.keys()].find((p) => gen1.tree.get(p)?.type === 'file' && (gen1.tree.get(p)?.size ?? 0) > 65536) as string);
  const fd = openSync(changed, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 32768);
  closeSync(fd);
  const gen2 = await client.backup('src', 'server');
  t.diagnostic(`backed up ${gen1.tree.size} then ${gen2.tree.size} entries of real files`);

  const segments = join(created.datastorePath, 'segments', '000');
  const segment = join(segments, readdirSync(segments).sort()[0] as string);
  const hit = corruptOneMirror(segment, disks[0]?.dev as string);
  t.diagnostic(`overwrote ${hit.bytes} bytes of one mirror on ${hit.device}`);

  const scrub = havendCli(['pool', 'scrub', '--wait', '--json', '--data', dataDir]);
  assert.equal(scrub.code, 0, scrub.stderr);
  const task = JSON.parse(scrub.stdout) as TaskInfo;
  assert.equal(task.status, 'succeeded', task.result ?? '');
  t.diagnostic(`scrub: ${task.result}`);

  const after = await waitFor('the pool check to count the errors', 5000, async () => {
    const s = await poolStatus(api);
    return s.health === 'errors' ? s : null;
  });
  const victim = after.members.find((m) => m.devicePath === hit.device) as PoolStatus['members'][number];
  assert.ok(victim.errors.corruption > 0, `corruption counted on ${hit.device}: ${JSON.stringify(victim.errors)}`);
  assert.deepEqual(victim.flags, ['errors']);
  assert.ok(after.members.filter((m) => m !== victim).every((m) => m.errors.corruption === 0));
  assert.ok((after.scrub?.counters.csumErrors ?? 0) > 0);
  assert.equal(after.scrub?.counters.correctedErrors, after.scrub?.counters.csumErrors);
  assert.equal(after.scrub?.counters.uncorrectableErrors, 0);
  const alerts = await openAlerts(api);
  assert.ok(alerts.some((a) => a.key === 'pool.errors:haven' && a.severity === 'warning'), 'a pool.errors alert is open');
  const text = havendCli(['pool', 'status', '--data', dataDir]);
  assert.equal(text.code, 1, 'pool status exits 1 while the pool is not healthy');
  assert.match(text.stdout, new RegExp(`${hit.device.replace('/', '\\/')} .*corruption ${victim.errors.corruption}`));

  for (const gen of [gen1, gen2]) await client.restoresExactly(gen, 'src');
  const check = havendCli(['store', 'check', '--data', dataDir]);
  assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
});
