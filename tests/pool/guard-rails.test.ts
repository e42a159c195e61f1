// System test (root, loop devices): every dangerous request is refused with a typed error.
// The "system disk" is a loop-backed ext4 holding this havend's state directory (never the
// machine's real disk). Through the API: a pool over the system disk, a disk not confirmed,
// a pool member as the new disk of a swap, the system disk as the new disk. And the wipe
// executor on its own, whatever a caller decided: the state directory's disk, a member of a
// mounted btrfs (not in the mount table), a disk whose partition is mounted, a partition.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SwapInfo } from '../../core/src/api/swap.js';
import { HavenError } from '../../core/src/errors.js';
import { SystemCommandRunner } from '../../core/src/exec/runner.js';
import { KernelState } from '../../daemon/src/pool/kernel-state.js';
import { WipeExecutor } from '../../daemon/src/pool/wipe-executor.js';
import { createToken } from '../helpers/daemon.js';
import { PoolLab } from '../helpers/pool-lab.js';
import { POOL_TEST_ENV, codeOf, diskOf, poolStatus, refusal, swapAction, waitFor } from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A signature blkid probes on the device itself ('' when there is none: blkid exits 2). */
function probe(dev: string, tag: string): string {
  try {
    return run('blkid', ['-c', '/dev/null', '-p', '-o', 'value', '-s', tag, dev]).trim();
  } catch {
    return '';
  }
}

/** A DOS partition table with one Linux partition from 1 MiB to the end. */
function writeMbr(file: string, bytes: number): void {
  const sector = Buffer.alloc(512);
  const entry = 446;
  sector[entry + 4] = 0x83;
  sector.writeUInt32LE(2048, entry + 8);
  sector.writeUInt32LE(bytes / 512 - 2048, entry + 12);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, sector, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
}

function refusedWith(code: string, fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof HavenError && err.code === code, `expected ${code}`);
}

test('guard rails: each dangerous request is refused with a typed error', async (t) => {
  if (!needRoot(t, 'btrfs pool tests') || !need(t, hasCommand('mkfs.btrfs') && hasCommand('mkfs.ext4') && hasCommand('partx'), 'btrfs-progs, e2fsprogs and partx are needed')) return;
  const lab = new PoolLab(t);
  // The stand-in system disk: ext4 on a loop device, holding the state directory.
  const system = lab.disk('system', 96 << 20);
  run('mkfs.ext4', ['-q', '-F', system.dev]);
  const sysMount = join(lab.dir, 'system');
  mkdirSync(sysMount);
  run('mount', [system.dev, sysMount]);
  const dataDir = join(sysMount, 'data');
  const token = createToken(dataDir, 'admin');
  const daemon = await lab.daemon({ dataDir, env: POOL_TEST_ENV });
  const api = daemon.client(token);
  const disks = [lab.disk('a'), lab.disk('b'), lab.disk('c'), lab.disk('d')];
  const [a, b, c, d] = await Promise.all(disks.map((x) => diskOf(api, x)));
  const sys = await waitFor('the stand-in system disk marked system', 10_000, async () => {
    const r = await diskOf(api, system);
    return r.role === 'system' ? r : null;
  });
  assert.match(sys.roleDetail ?? '', /state directory/);
  if (!a || !b || !c || !d) throw new Error('disks not seen');
  const create = (list: Array<{ disk: string; confirm: string }>): Promise<unknown> => api.json('POST', '/api/v1/pool', { profile: 'raid1', disks: list });

  // Creating a pool: over the system disk; with a disk not confirmed; with too few disks.
  assert.equal(await refusal(() => create([{ disk: sys.id, confirm: codeOf(sys) }, { disk: a.id, confirm: codeOf(a) }])), 'DISK_IS_SYSTEM');
  assert.equal(await refusal(() => create([{ disk: a.id, confirm: codeOf(a) }, { disk: b.id, confirm: 'zzzz' }])), 'WIPE_NOT_CONFIRMED');
  assert.equal(await refusal(() => create([{ disk: a.id, confirm: codeOf(a) }])), 'POOL_TOO_FEW_DISKS');
  assert.equal((await poolStatus(api)).kind, 'directory', 'nothing was created');
  assert.equal(probe(system.dev, 'TYPE'), 'ext4', 'the system disk is untouched');

  const created = await create([a, b, c].map((x) => ({ disk: x.id, confirm: codeOf(x) })));
  assert.ok(created);
  assert.equal(await refusal(() => create([{ disk: d.id, confirm: codeOf(d) }, { disk: sys.id, confirm: codeOf(sys) }])), 'POOL_EXISTS');
  // Adding a member again, or the system disk.
  assert.equal(await refusal(() => api.json('POST', '/api/v1/pool/devices', { disk: a.id, confirm: codeOf(a) })), 'DISK_IS_POOL_MEMBER');
  assert.equal(await refusal(() => api.json('POST', '/api/v1/pool/devices', { disk: sys.id, confirm: codeOf(sys) })), 'DISK_IS_SYSTEM');

  // A swap's new disk: a pool member, the system disk, a disk not confirmed. Then cancel.
  const swap = await api.json<SwapInfo>('POST', '/api/v1/swaps', { disk: c.id });
  await swapAction(api, swap.id, 'confirm', { code: codeOf(c) });
  assert.equal(await refusal(() => swapAction(api, swap.id, 'confirm', { code: codeOf(b), disk: b.id })), 'DISK_IS_POOL_MEMBER');
  assert.equal(await refusal(() => swapAction(api, swap.id, 'confirm', { code: codeOf(sys), disk: sys.id })), 'DISK_IS_SYSTEM');
  assert.equal(await refusal(() => swapAction(api, swap.id, 'confirm', { code: 'zzzz', disk: d.id })), 'WIPE_NOT_CONFIRMED');
  assert.equal(await refusal(() => swapAction(api, swap.id, 'confirm', { code: 'zzzz' })), 'WIPE_NOT_CONFIRMED');
  assert.equal(await refusal(() => swapAction(api, swap.id, 'retry')), 'SWAP_ACTION_NOT_ALLOWED');
  const cancelled = await swapAction(api, swap.id, 'cancel');
  assert.equal(cancelled.step, 'cancelled');
  assert.equal(await refusal(() => swapAction(api, swap.id, 'confirm', { code: codeOf(d) })), 'SWAP_ACTION_NOT_ALLOWED');
  const pool = await poolStatus(api);
  assert.equal(pool.health, 'healthy');
  assert.equal(pool.swap, null);

  // The wipe executor on its own, asked directly (as a buggy caller would).
  const wipe = new WipeExecutor(new SystemCommandRunner(), new KernelState(), dataDir);
  refusedWith('WIPE_STATE_DIR', () => wipe.check(system.dev));
  // A member that the mount table does not name (it names the device the pool was mounted by): sysfs knows.
  const mountedBy = run('findmnt', ['-no', 'SOURCE', join(dataDir, 'pool')]).trim();
  const member = pool.members.find((m) => m.devicePath !== null && m.devicePath !== mountedBy);
  assert.ok(member?.devicePath, 'a member other than the mount source');
  assert.throws(() => wipe.check(member.devicePath as string), (err: unknown) =>
    err instanceof HavenError && err.code === 'WIPE_DEVICE_IN_USE' && /device of the mounted btrfs filesystem/.test(err.message));
  assert.throws(() => wipe.check(mountedBy), (err: unknown) => err instanceof HavenError && err.code === 'WIPE_DEVICE_IN_USE' && /mounted btrfs filesystem/.test(err.message));
  await assert.rejects(wipe.wipe(system.dev), (err: unknown) => err instanceof HavenError && err.code === 'WIPE_STATE_DIR');
  // A disk with a mounted partition, and the partition itself.
  const parted = lab.disk('parted', 64 << 20);
  writeMbr(parted.file, 64 << 20);
  // (the kernel may have read the new table by itself already; --update adds what is missing)
  run('partx', ['--update', parted.dev]);
  const part = `${parted.dev}p1`;
  await waitFor('the partition node', 5000, async () => (run('lsblk', ['-nro', 'NAME', parted.dev]).includes('p1') ? true : null));
  run('mkfs.ext4', ['-q', '-F', part]);
  const partMount = join(lab.dir, 'part');
  mkdirSync(partMount);
  run('mount', [part, partMount]);
  assert.throws(() => wipe.check(parted.dev), (err: unknown) => err instanceof HavenError && err.code === 'WIPE_DEVICE_IN_USE' && err.message.includes(partMount));
  assert.throws(() => wipe.check(part), (err: unknown) => err instanceof HavenError && err.code === 'WIPE_DEVICE_IN_USE' && /partition/.test(err.message));
  run('umount', [partMount]);
  // Unmounted, the same disk may be wiped: partitions and table gone.
  await wipe.wipe(parted.dev);
  assert.equal(probe(parted.dev, 'PTTYPE'), '');
  assert.equal(probe(system.dev, 'TYPE'), 'ext4', 'the system disk is still untouched');
});
