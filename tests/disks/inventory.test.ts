// The inventory as other areas (the pool, the swap workflow) use it: events, lookups by id
// and device path, roles declared by the pool, system-disk detection, archive and purge.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HavenEvents } from '../../core/src/api/events.js';
import { HavenError } from '../../core/src/errors.js';
import { EventBus, type EventName } from '../../daemon/src/events.js';
import type { DiskFacts } from '../../daemon/src/disks/discovery.js';
import { diskIdOf, identify, normalizeWwn } from '../../daemon/src/disks/identity.js';
import { Inventory } from '../../daemon/src/disks/inventory.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { tempDir } from '../helpers/tmp.js';

function disk(name: string, serial: string, extra: Partial<DiskFacts> = {}): DiskFacts {
  return {
    identity: { kind: 'serial', value: `MODEL\u0000${serial}` }, name, devicePath: `/dev/${name}`, byPath: `/sys/devices/pci/${serial}`,
    sizeBytes: 4e12, rotational: true, transport: 'sata', wwn: null, serial, model: 'MODEL', vendor: null, firmware: null,
    backingFile: null, fsType: null, partitions: [], mountpoints: [], ...extra,
  };
}

test('identity: WWN, else serial + model, loop by backing file, never the name', () => {
  const base = { serial: null, model: null, backingFile: null, isLoop: false, ptUuid: null, fsUuid: null, sysPath: '/sys/devices/x' };
  assert.deepEqual(identify({ ...base, wwid: 'naa.5000C500A1B2C3D4', serial: 'S1' }), { kind: 'wwn', value: '0x5000c500a1b2c3d4' });
  assert.equal(normalizeWwn('0x5000c500a1b2c3d4'), normalizeWwn('naa.5000c500a1b2c3d4'));
  assert.equal(normalizeWwn('t10.ATA     WDC WD140EDFZ 9RK1XXXX'), null, 't10 ids only wrap model and serial');
  assert.deepEqual(identify({ ...base, wwid: 't10.ATA x', serial: ' S1 ', model: 'WDC  X' }), { kind: 'serial', value: 'WDC X\u0000S1' });
  assert.deepEqual(identify({ ...base, wwid: null, isLoop: true, backingFile: '/srv/a.img' }), { kind: 'loop', value: '/srv/a.img' });
  assert.deepEqual(identify({ ...base, wwid: null, ptUuid: 'ABC' }), { kind: 'content', value: 'abc' });
  assert.match(diskIdOf({ kind: 'wwn', value: '0x5' }), /^[0-9a-f]{16}$/);
});

test('inventory: events, lookups, roles, missing and archived, purge', async (t) => {
  const dir = tempDir(t);
  const state = openStateDb(dir);
  t.after(() => state.close());
  const bus = new EventBus((err) => assert.fail(String(err)));
  const events: Array<[EventName, HavenEvents[EventName]]> = [];
  bus.onAny({}, (name, payload) => events.push([name, payload]));
  const inv = new Inventory(state, bus, `${dir}/state`);
  const sys = disk('sda', 'SYS', { partitions: [{ name: 'sda1', path: '/dev/sda1', sizeBytes: 1e9, fsType: 'ext4', fsUuid: 'u', label: null, mountpoints: ['/'] }] });
  await inv.reconcile([sys, disk('sdb', 'B'), disk('sdc', 'C')]);
  assert.deepEqual(events.map(([n]) => n), ['disk.added', 'disk.added', 'disk.added']);
  const [a, b, c] = ['SYS', 'B', 'C'].map((s) => inv.list().find((d) => d.serial === s));
  assert.ok(a && b && c);
  assert.equal(a.role, 'system');
  assert.equal(a.roleDetail, 'holds /');
  assert.equal(inv.byDevicePath('/dev/sda1')?.id, a.id, 'a partition finds its disk');
  assert.equal(inv.byDevicePath('/dev/sdb')?.id, b.id);

  await assert.rejects(inv.claim(a.id, 'pool-member', 'main'), (e: unknown) => e instanceof HavenError && e.code === 'DISK_IS_SYSTEM');
  assert.equal((await inv.claim(b.id, 'pool-member', 'main')).role, 'pool-member');
  await assert.rejects(inv.claim(b.id, 'spare', 'other'), (e: unknown) => e instanceof HavenError && e.code === 'DISK_ROLE_TAKEN');
  await inv.claim(c.id, 'spare', 'main');

  // Names change across boots: sdb comes back as sdc and sdc as sdd; same disks, roles kept.
  events.length = 0;
  await inv.reconcile([sys, disk('sdc', 'B'), disk('sdd', 'C')]);
  assert.deepEqual(events.map(([n]) => n), ['disk.changed', 'disk.changed']);
  assert.equal(inv.get(b.id).devicePath, '/dev/sdc');
  assert.equal(inv.get(b.id).role, 'pool-member');
  assert.equal(inv.byDevicePath('/dev/sdc')?.id, b.id);

  // The pool member is pulled: missing, archived, its role and history kept; no path finds it.
  events.length = 0;
  await inv.reconcile([sys, disk('sdd', 'C')]);
  assert.deepEqual(events.map(([n]) => n), ['disk.removed']);
  const gone = inv.get(b.id);
  assert.deepEqual([gone.present, gone.archived, gone.devicePath, gone.role], [false, true, null, 'pool-member']);
  assert.equal(inv.byDevicePath('/dev/sdc'), null);
  assert.equal(inv.list({ archived: false }).length, 2);
  await assert.rejects(inv.purge(c.id), (e: unknown) => e instanceof HavenError && e.code === 'DISK_PRESENT');
  await inv.release(b.id, 'main');
  await inv.purge(b.id);
  assert.throws(() => inv.get(b.id), (e: unknown) => e instanceof HavenError && e.code === 'DISK_NOT_FOUND');
  assert.equal((events.at(-1)?.[1] as { purged?: boolean }).purged, true);
});
