// The pool's guard rails without root: the pool service, pool creation, the swap workflow and
// the wipe executor, real, over a fixture machine (tests/helpers/kernel-fixture.ts: /sys, /proc
// and /dev written into a temp directory) and a BtrfsOps that answers as btrfs-progs would
// for it (tests/helpers/fixture-btrfs.ts). Disks come into the inventory through the real
// discovery reading the fixture's sysfs and mount table. Each refusal must carry its typed
// code and leave btrfs and the disks untouched; an allowed request next to each group shows
// the refusals are the rules at work, not a fixture that refuses everything. The same rails
// on real disks: guard-rails.test.ts (root, loop devices).

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { DiskRecord } from '../../core/src/api/disks.js';
import { HavenError } from '../../core/src/errors.js';
import { Discovery, type MountSource } from '../../daemon/src/disks/discovery.js';
import { Inventory } from '../../daemon/src/disks/inventory.js';
import { Sysfs } from '../../daemon/src/disks/sysfs.js';
import { EventBus } from '../../daemon/src/events.js';
import type { CommandRunner, RunResult } from '../../core/src/exec/runner.js';
import { AlertCenter } from '../../daemon/src/jobs/alerts.js';
import { TaskRegistry } from '../../daemon/src/jobs/tasks.js';
import { confirmTarget } from '../../daemon/src/pool/confirm-code.js';
import { DiskRoles } from '../../daemon/src/pool/disk-roles.js';
import { KernelState } from '../../daemon/src/pool/kernel-state.js';
import { createPool } from '../../daemon/src/pool/pool-create.js';
import { PoolRecords } from '../../daemon/src/pool/pool-record.js';
import { PoolService } from '../../daemon/src/pool/pool-service.js';
import { Locator } from '../../daemon/src/pool/swap/locator.js';
import { SwapService } from '../../daemon/src/pool/swap/swap-service.js';
import { WipeExecutor } from '../../daemon/src/pool/wipe-executor.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { FixtureBtrfsOps } from '../helpers/fixture-btrfs.js';
import { writeKernelFixture, type FixtureDisk, type FixtureMount, type KernelFixture } from '../helpers/kernel-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const STATE_DIR = '/var/lib/haven';
const MOUNT = '/var/lib/haven/pool';
const UUID = '26033f13-00c7-43fa-bd21-b482e499fa5e';
const TB4 = 4_000_787_030_016;

const disk = (letter: string, minor: number, extra: Partial<FixtureDisk> = {}): FixtureDisk =>
  ({ name: `sd${letter}`, majMin: `8:${minor}`, sizeBytes: TB4, serial: `WD-WX${letter.toUpperCase()}1D12345${minor}`, model: 'WDC_WD40EFRX', ...extra });

/** sda holds / (and the state directory); sdb-sde are blank; sdf has a mounted partition; sdg sits under dm-0; sdh is a swap area. */
const DISKS: FixtureDisk[] = [
  disk('a', 0), disk('b', 16), disk('c', 32), disk('d', 48), disk('e', 64),
  disk('f', 80, { partitions: [{ name: 'sdf1', majMin: '8:81', sizeBytes: TB4 - 1048576 }] }),
  disk('g', 96, { holders: ['dm-0'] }),
  disk('h', 112),
];
const SYSTEM_MOUNTS: FixtureMount[] = [
  { source: '/dev/sda', majMin: '8:0', mountPoint: '/', fsType: 'ext4' },
  { source: '/dev/sdf1', majMin: '8:81', mountPoint: '/srv/media', fsType: 'ext4' },
];
const poolMount = (superOptions = 'space_cache=v2'): FixtureMount => ({ source: '/dev/sdb', majMin: '0:45', mountPoint: MOUNT, fsType: 'btrfs', superOptions });

/** A machine with no commands at all: every run says it is not installed, and is recorded. */
class NoCommands implements CommandRunner {
  readonly ran: string[] = [];

  async run(command: string, args: readonly string[]): Promise<RunResult> {
    this.ran.push([command, ...args].join(' '));
    return { command, args, code: null, signal: null, stdout: '', stderr: '', durationMs: 0, timedOut: false, spawnError: 'ENOENT' };
  }
}

/** Mount points by device as lsblk would list them, from the fixture's mount table and swaps. */
function mountsOf(kernel: KernelState): MountSource {
  return async () => {
    const out = new Map<string, string[]>();
    const add = (dev: string, mp: string): void => void out.set(dev, [...(out.get(dev) ?? []), mp]);
    for (const m of kernel.mounts()) if (m.source.startsWith('/dev/')) add(m.source, m.mountPoint);
    for (const s of kernel.swapDevices()) add(s, '[SWAP]');
    return out;
  };
}

interface PoolSetup {
  profile: 'raid1' | 'raid1c3';
  /** devid -> kernel name; `missing`: the disk is gone from the machine and the kernel misses the member. */
  members: Array<{ devid: number; name: string; missing?: boolean }>;
  degraded?: boolean;
}

async function machine(t: TestContext, pool: PoolSetup | null) {
  const dir = tempDir(t, 'haven-fixture-');
  const root = join(dir, 'root');
  const gone = new Set(pool?.members.filter((m) => m.missing).map((m) => m.name) ?? []);
  const fixture: KernelFixture = {
    disks: DISKS.filter((d) => !gone.has(d.name)),
    mounts: [...SYSTEM_MOUNTS, ...(pool ? [poolMount(pool.degraded ? 'degraded,space_cache=v2' : undefined)] : [])],
    swaps: ['/dev/sdh'],
    btrfs: pool ? [{ uuid: UUID, label: 'haven-haven', members: pool.members.map((m) => ({ devid: m.devid, name: m.missing ? null : m.name, sizeBytes: TB4 })) }] : [],
  };
  writeKernelFixture(root, fixture);

  const state = openStateDb(join(dir, 'data'));
  const bus = new EventBus((err) => assert.fail(String(err)));
  const logLines: string[] = [];
  const log: Logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  const runner = new NoCommands();
  const kernel = new KernelState(root);
  const inventory = new Inventory(state, bus, STATE_DIR);
  const discovery = new Discovery(runner, new Sysfs(join(root, 'sys')), mountsOf(kernel));
  const rescan = async (): Promise<void> => inventory.reconcile(await discovery.scan());
  await rescan();
  const alerts = new AlertCenter(state, bus);
  const tasks = new TaskRegistry(state, bus);
  await tasks.start();
  const records = new PoolRecords(state);
  const at = (name: string): DiskRecord => {
    const d = inventory.byDevicePath(`/dev/${name}`);
    assert.ok(d, `the inventory found ${name}`);
    return d;
  };
  if (pool) {
    const now = new Date().toISOString();
    await records.put({
      name: 'haven', kind: 'btrfs', profile: pool.profile, uuid: UUID, label: 'haven-haven', created: now,
      members: pool.members.map((m) => {
        const d = m.missing ? null : at(m.name);
        return { devid: m.devid, diskId: d?.id ?? null, serial: d?.serial ?? `GONE${m.devid}`, model: d?.model ?? null, sizeBytes: TB4, added: now };
      }),
    });
    for (const m of pool.members) if (!m.missing) await inventory.claim(at(m.name).id, 'pool-member', 'haven');
  }
  const btrfs = new FixtureBtrfsOps(fixture.btrfs?.[0] ?? null, MOUNT);
  const wipe = new WipeExecutor(runner, kernel, STATE_DIR);
  const roles = new DiskRoles(inventory, alerts, log);
  const service = new PoolService({
    records, driver: btrfs, kernel, wipe, disks: inventory, roles, rescan, bus, alerts, tasks,
    mountPath: MOUNT, datastorePath: () => join(MOUNT, 'datastore'), mountState: null, log,
  });
  const swaps = new SwapService({
    state, pool: service, disks: inventory, roles, wipe, bus, tasks, locator: new Locator(runner, log, { maxMs: 0 }),
    verify: () => Promise.reject(new Error('the fixture machine has no datastore to verify')), log,
  });
  service.swapProbe = () => swaps.activeRef();
  await swaps.start();
  t.after(async () => {
    await swaps.stop();
    await tasks.stop();
    await state.close();
  });
  const create = (profile: 'raid1', list: Array<{ disk: string; confirm: string }>) => createPool({
    service, records, driver: btrfs, kernel, wipe, disks: inventory, roles,
    store: { root: join(STATE_DIR, 'datastore'), contents: () => ({ objects: 0, snapshots: 0 }), relocate: async () => undefined },
    mountPath: MOUNT, pinnedDatastore: null, log,
  }, { profile, disks: list });
  return { root, runner, kernel, bus, inventory, alerts, records, btrfs, wipe, service, swaps, create, at, logLines };
}

/** What the technician types: the last four characters of the serial on the label. */
const code = (d: DiskRecord): string => confirmTarget(d).value.slice(-4);

async function refused(code: string, p: Promise<unknown> | (() => unknown), detail?: RegExp): Promise<void> {
  const check = (err: unknown): boolean => {
    assert.ok(err instanceof HavenError, `a typed error, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (detail) assert.match(err.message, detail);
    return true;
  };
  if (typeof p === 'function') assert.throws(p, check);
  else await assert.rejects(p, check);
}

/** The status a task ended with (its task.ended event: by then the registry is done writing it). */
function taskEnd(bus: EventBus, id: string): Promise<string> {
  const owner = {};
  return new Promise((resolve) => bus.on(owner, 'task.ended', (info) => {
    if (info.id !== id) return;
    bus.removeListeners(owner);
    resolve(info.status);
  }));
}

test('fixture machine: the system disk, a disk in use and a disk not confirmed are refused before anything is wiped', async (t) => {
  const m = await machine(t, null);
  const [sda, sdb, sdc, sde, sdf, sdh] = ['sda', 'sdb', 'sdc', 'sde', 'sdf', 'sdh'].map(m.at) as DiskRecord[] as [DiskRecord, DiskRecord, DiskRecord, DiskRecord, DiskRecord, DiskRecord];
  // The inventory read the fixture: the disk holding / and the swap area are the system's.
  assert.equal(sda.role, 'system');
  assert.equal(sda.roleDetail, 'holds /');
  assert.equal(sdh.role, 'system');
  assert.equal(sdb.serial, 'WD-WXB1D1234516');

  await refused('DISK_IS_SYSTEM', m.create('raid1', [{ disk: sda.id, confirm: code(sda) }, { disk: sdb.id, confirm: code(sdb) }]));
  await refused('DISK_IS_SYSTEM', m.create('raid1', [{ disk: sdb.id, confirm: code(sdb) }, { disk: sdh.id, confirm: code(sdh) }]));
  await refused('WIPE_NOT_CONFIRMED', m.create('raid1', [{ disk: sdb.id, confirm: code(sdb) }, { disk: sdc.id, confirm: code(sde) }]));
  await refused('WIPE_DEVICE_IN_USE', m.create('raid1', [{ disk: sdb.id, confirm: code(sdb) }, { disk: sdf.id, confirm: code(sdf) }]), /\/srv\/media/);
  await refused('POOL_TOO_FEW_DISKS', m.create('raid1', [{ disk: sdb.id, confirm: code(sdb) }]));
  assert.equal(m.records.get(), null, 'no pool recorded');
  assert.deepEqual(m.btrfs.changes(), [], 'btrfs was asked for nothing');
  assert.deepEqual(m.runner.ran.filter((c) => /^(wipefs|blockdev|mkfs)/.test(c)), [], 'nothing was wiped');

  // The wipe executor on its own, whatever a caller decided: it reads the kernel's state itself.
  await refused('WIPE_STATE_DIR', () => m.wipe.check('/dev/sda'));
  await refused('WIPE_STATE_DIR', () => m.wipe.check(`/dev/disk/by-id/ata-WDC_WD40EFRX_${sda.serial}`));
  await refused('WIPE_DEVICE_IN_USE', () => m.wipe.check('/dev/sdf'), /mounted ext4 filesystem \(\/srv\/media\)/);
  await refused('WIPE_DEVICE_IN_USE', () => m.wipe.check('/dev/sdf1'), /partition/);
  await refused('WIPE_DEVICE_IN_USE', () => m.wipe.check('/dev/sdg'), /in use by dm-0/);
  await refused('WIPE_DEVICE_IN_USE', () => m.wipe.check('/dev/sdh'), /swap area/);
  await refused('WIPE_DEVICE_IN_USE', () => m.wipe.check('/dev/nvme0n1'), /not a block device/);
  await refused('WIPE_STATE_DIR', m.wipe.wipe('/dev/sda'));
  // A blank disk passes: the refusals above are the rules, not a fixture that refuses everything.
  m.wipe.check('/dev/sde');
  m.wipe.check(`/dev/disk/by-id/ata-WDC_WD40EFRX_${sde.serial}`);
  assert.deepEqual(m.runner.ran.filter((c) => c.startsWith('wipefs')), [], 'a refused wipe runs no command');
});

test('fixture machine: a healthy pool refuses the system disk, its own members and unconfirmed disks, in add and in the swap', async (t) => {
  const m = await machine(t, { profile: 'raid1', members: [{ devid: 1, name: 'sdb' }, { devid: 2, name: 'sdc' }, { devid: 3, name: 'sdd' }] });
  const [sda, sdb, sdc, sde, sdf] = ['sda', 'sdb', 'sdc', 'sde', 'sdf'].map(m.at) as [DiskRecord, DiskRecord, DiskRecord, DiskRecord, DiskRecord];
  const status = await m.service.status();
  assert.equal(status.health, 'healthy', status.summary);
  assert.deepEqual(status.members.map((x) => [x.devid, x.diskId]), [[1, sdb.id], [2, sdc.id], [3, m.at('sdd').id]]);

  await refused('DISK_IS_SYSTEM', m.service.addDevice({ disk: sda.id, confirm: code(sda) }));
  await refused('DISK_IS_POOL_MEMBER', m.service.addDevice({ disk: sdc.id, confirm: code(sdc) }));
  await refused('WIPE_NOT_CONFIRMED', m.service.addDevice({ disk: sde.id, confirm: 'zzzz' }));
  // A member the mount table does not name (it names sdb, the device the pool was mounted by): sysfs knows.
  await refused('WIPE_DEVICE_IN_USE', () => m.wipe.check('/dev/sdc'), new RegExp(`sdc is a device of the mounted btrfs filesystem ${UUID}`));
  await refused('WIPE_DEVICE_IN_USE', () => m.wipe.check('/dev/sdb'), /mounted btrfs filesystem/);

  // The swap: the old disk confirmed by its own code, the new one by its own, never a member or the system's.
  const swap = await m.swaps.begin({ devid: 2 });
  assert.equal(swap.step, 'locate');
  await refused('SWAP_CODE_MISMATCH', m.swaps.confirm(swap.id, { code: code(sde) }));
  const inserting = await m.swaps.confirm(swap.id, { code: code(sdc) });
  assert.equal(inserting.step, 'insert-new');
  assert.deepEqual(inserting.candidates.map((c) => c.diskId), [sde.id], 'only the blank disk is offered');
  await refused('DISK_IS_SYSTEM', m.swaps.confirm(swap.id, { code: code(sda), disk: sda.id }));
  await refused('DISK_IS_POOL_MEMBER', m.swaps.confirm(swap.id, { code: code(sdb), disk: sdb.id }));
  await refused('DISK_IS_POOL_MEMBER', m.swaps.confirm(swap.id, { code: code(sdc), disk: sdc.id }));
  await refused('WIPE_NOT_CONFIRMED', m.swaps.confirm(swap.id, { code: 'zzzz', disk: sde.id }));
  await refused('WIPE_NOT_CONFIRMED', m.swaps.confirm(swap.id, { code: 'zzzz' }));
  await refused('WIPE_DEVICE_IN_USE', m.swaps.confirm(swap.id, { code: code(sdf), disk: sdf.id }), /\/srv\/media/);
  await refused('SWAP_ACTION_NOT_ALLOWED', m.swaps.retry(swap.id));
  assert.equal((await m.swaps.cancel(swap.id)).step, 'cancelled');
  assert.deepEqual(m.btrfs.changes(), [], 'btrfs was asked for nothing');
  assert.deepEqual(m.runner.ran.filter((c) => /^(wipefs|blockdev)/.test(c)), [], 'nothing was wiped');

  // Allowed: three raid1 members, one removed, two remain.
  const task = await m.service.removeDevice(2);
  const ended = taskEnd(m.bus, task.id);
  assert.equal(await ended, 'succeeded');
  assert.deepEqual(m.btrfs.changes(), [`deviceRemove ${MOUNT} 2`]);
});

test('fixture machine: nothing goes below the profile\'s redundancy', async (t) => {
  const two = await machine(t, { profile: 'raid1', members: [{ devid: 1, name: 'sdb' }, { devid: 2, name: 'sdc' }] });
  await refused('POOL_BELOW_REDUNDANCY', two.service.removeDevice(1), /would leave 1 disk/);
  const three = await machine(t, { profile: 'raid1c3', members: [{ devid: 1, name: 'sdb' }, { devid: 2, name: 'sdc' }, { devid: 3, name: 'sdd' }] });
  await refused('POOL_BELOW_REDUNDANCY', three.service.removeDevice(3), /would leave 2 disk/);
  assert.deepEqual([...two.btrfs.changes(), ...three.btrfs.changes()], []);

  // devid 3's disk is gone (not in sysfs; the kernel marks it missing): the pool runs degraded.
  const m = await machine(t, { profile: 'raid1', members: [{ devid: 1, name: 'sdb' }, { devid: 2, name: 'sdc' }, { devid: 3, name: 'sdd', missing: true }], degraded: true });
  const status = await m.service.status();
  assert.equal(status.health, 'degraded', status.summary);
  assert.deepEqual(status.members.filter((x) => x.missing).map((x) => x.devid), [3]);
  await refused('POOL_BELOW_REDUNDANCY', m.service.removeDevice(1), /another member is missing/);
  await refused('POOL_BELOW_REDUNDANCY', m.swaps.begin({ devid: 1 }), /devid 3 is missing/);
  assert.equal(m.swaps.activeRef(), null, 'no swap was started');
  assert.deepEqual(m.btrfs.changes(), []);

  // Allowed: the missing member itself may be removed (two copies remain on two disks).
  const task = await m.service.removeDevice(3);
  const ended = taskEnd(m.bus, task.id);
  assert.equal(await ended, 'succeeded');
  assert.deepEqual(m.btrfs.changes(), [`deviceRemove ${MOUNT} missing`]);
});

test('fixture machine: a disk role the inventory refuses after btrfs took the disk is logged and alerted, not dropped', async (t) => {
  const m = await machine(t, { profile: 'raid1', members: [{ devid: 1, name: 'sdb' }, { devid: 2, name: 'sdc' }, { devid: 3, name: 'sdd' }] });
  const sdc = m.at('sdc');
  // The inventory disagrees with btrfs: it holds sdc as another pool's spare.
  await m.inventory.release(sdc.id, 'haven');
  await m.inventory.claim(sdc.id, 'spare', 'other');
  const key = `disk.role:${sdc.id}`;

  // Rewriting the members from the kernel's view does not fail over it (btrfs has the disk)...
  await m.service.refreshMembers();
  const alert = m.alerts.byKey(key);
  assert.ok(alert && alert.cleared === null, 'an open alert for the disk');
  assert.equal(alert.severity, 'warning');
  assert.match(alert.message, /member of pool haven \(btrfs lists it as devid 2\), but the disk inventory refused: .*spare of other/);
  assert.ok(m.logLines.some((l) => l.includes('disk role not recorded') && l.includes(sdc.id)), 'and a log line');
  assert.equal(m.at('sdc').role, 'spare', 'the refused role is left as it was');

  // ...and once the inventory lets go, the next refresh records the role and clears the alert.
  await m.inventory.release(sdc.id, 'other');
  await m.service.refreshMembers();
  assert.equal(m.alerts.byKey(key), null);
  assert.equal(m.at('sdc').role, 'pool-member');
});
