// Creating the btrfs pool. Everything that can refuse does so before the first byte is
// wiped: the pool must not exist yet, the datastore must be empty (it moves onto the pool
// with its identity; moving backups would be a copy, not supported yet), and every disk must
// be present, not the system's, not another pool's, confirmed by the last four characters of
// its serial, and pass the wipe executor's own checks. Then: wipe, mkfs, mount, record,
// claim the disks, and move the (empty) datastore onto the pool.

import { makeDirs } from '../../../core/src/fs/make-dirs.js';
import type { Logger } from 'pino';
import type { CreatePoolRequest, PoolStatus } from '../../../core/src/api/pool.js';
import { HavenError } from '../../../core/src/errors.js';
import type { DiskDirectory } from '../disks/inventory.js';
import type { BtrfsOps } from './btrfs-ops.js';
import type { DiskRoles } from './disk-roles.js';
import type { KernelView } from './kernel-view.js';
import { datastoreOnPool } from './pool-mount.js';
import type { PoolRecord, PoolRecords } from './pool-record.js';
import type { PoolService } from './pool-service.js';
import { PROFILES } from './profiles.js';
import type { WipeExecutor } from './wipe-executor.js';

export interface MovableDatastore {
  readonly root: string;
  contents(): { objects: number; snapshots: number };
  relocate(newRoot: string): Promise<void>;
}

export interface PoolCreateDeps {
  service: PoolService;
  records: PoolRecords;
  driver: BtrfsOps;
  kernel: KernelView;
  wipe: WipeExecutor;
  disks: DiskDirectory;
  roles: DiskRoles;
  store: MovableDatastore;
  mountPath: string;
  /** datastore.path when set: the datastore is pinned there and cannot move onto a pool. */
  pinnedDatastore: string | null;
  log: Logger;
}

export async function createPool(deps: PoolCreateDeps, req: CreatePoolRequest): Promise<PoolStatus> {
  const name = req.name ?? 'haven';
  const existing = deps.records.get();
  if (existing) throw new HavenError('POOL_EXISTS', { name: existing.name });
  if (deps.pinnedDatastore) throw new HavenError('POOL_DATASTORE_PINNED', { path: deps.pinnedDatastore });
  const held = deps.store.contents();
  if (held.objects > 0 || held.snapshots > 0) {
    throw new HavenError('POOL_DATASTORE_NOT_EMPTY', { path: deps.store.root, objects: held.objects, snapshots: held.snapshots });
  }
  const facts = PROFILES[req.profile];
  const ids = new Set(req.disks.map((d) => d.disk));
  if (ids.size !== req.disks.length) throw new HavenError('VALIDATION_FAILED', { detail: 'a disk is listed twice' });
  if (ids.size < facts.minDevices) throw new HavenError('POOL_TOO_FEW_DISKS', { profile: req.profile, min: facts.minDevices, count: ids.size });
  const disks = req.disks.map((c) => deps.service.checkWipeable(c.disk, c.confirm, name));
  const mounted = deps.kernel.mountAt(deps.mountPath);
  if (mounted) throw new HavenError('POOL_UNAVAILABLE', { name, detail: `${deps.mountPath} already holds a mounted ${mounted.fsType} filesystem` });

  return deps.service.exclusive('creating the pool', async () => {
    const devices = disks.map((d) => d.devicePath as string);
    for (const dev of devices) await deps.wipe.wipe(dev);
    const uuid = await deps.driver.mkfs(`haven-${name}`, facts.mkfs, devices);
    deps.log.info({ pool: name, uuid, devices, profile: req.profile }, 'pool created');
    makeDirs(deps.mountPath, 0o750);
    await deps.driver.scan(devices);
    await deps.driver.mount(devices, deps.mountPath, false);
    try {
      const shown = await deps.driver.show(deps.mountPath);
      const now = new Date().toISOString();
      const record: PoolRecord = {
        name, kind: 'btrfs', profile: req.profile, uuid, label: `haven-${name}`, created: now,
        members: shown.devices.map((dev) => {
          const disk = disks.find((d) => d.devicePath === dev.path) ?? null;
          return { devid: dev.devid, diskId: disk?.id ?? null, serial: disk?.serial ?? null, model: disk?.model ?? null, sizeBytes: dev.sizeBytes ?? disk?.sizeBytes ?? 0, added: now };
        }),
      };
      for (const d of disks) await deps.disks.claim(d.id, 'pool-member', name);
      // Recorded before the datastore moves: from here a restart mounts the pool and opens
      // the datastore on it (an empty one if the move did not happen).
      await deps.records.put(record);
    } catch (err) {
      for (const d of disks) await deps.roles.release(d.id, name, 'creating the pool failed');
      await deps.driver.unmount(deps.mountPath).catch((e: unknown) => deps.log.warn({ err: e, pool: name }, 'the half-created pool could not be unmounted'));
      throw err;
    }
    await deps.store.relocate(datastoreOnPool(deps.mountPath));
    deps.log.info({ pool: name, datastore: deps.store.root }, 'the datastore now lives on the pool');
  }).then(async () => (await deps.service.check()) ?? deps.service.status());
}
