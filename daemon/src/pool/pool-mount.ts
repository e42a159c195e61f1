// Bringing the configured pool up at start, before the datastore opens (it lives on the pool).
// Without udev nothing registers a multi-device btrfs with the kernel, so the members are
// found by probing every block device for the filesystem UUID and registered with `btrfs
// device scan`; then it is mounted from those devices. A member missing makes the normal mount fail: the pool is then mounted
// `-o degraded` on purpose, if the profile still has a copy of every byte, and the pool
// service raises the alert and offers the swap. A pool already mounted where it belongs (the
// previous havend was killed, or stopped while a replace held it busy) is adopted as it is.

import { makeDirs } from '../../../core/src/fs/make-dirs.js';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { HavenError } from '../../../core/src/errors.js';
import type { BtrfsOps } from './btrfs-ops.js';
import { mountedDegraded } from './kernel-state.js';
import type { KernelView } from './kernel-view.js';
import type { PoolRecord } from './pool-record.js';
import { PROFILES } from './profiles.js';

export interface MountState {
  mounted: boolean;
  /** Mounted with `-o degraded`. */
  degraded: boolean;
  /** Found mounted at start rather than mounted by us. */
  adopted: boolean;
  /** Members the kernel could not find at mount time. */
  missingAtMount: number;
}

export function mountPathOf(configured: string, dataDir: string): string {
  return configured === '' ? join(resolve(dataDir), 'pool') : resolve(configured);
}

export function datastoreOnPool(mountPath: string): string {
  return join(mountPath, 'datastore');
}

export async function mountPool(record: PoolRecord, mountPath: string, driver: BtrfsOps, kernel: KernelView, log: Logger): Promise<MountState> {
  makeDirs(mountPath, 0o750);
  const present = kernel.mountAt(mountPath);
  if (present) {
    if (present.fsType === 'btrfs' && kernel.btrfsMounted(record.uuid)) {
      const degraded = mountedDegraded(present);
      log.info({ pool: record.name, mountPath, degraded }, 'pool already mounted: adopted');
      return { mounted: true, degraded, adopted: true, missingAtMount: 0 };
    }
    throw new HavenError('POOL_UNAVAILABLE', { name: record.name, detail: `${mountPath} already holds another ${present.fsType} filesystem (${present.source})` });
  }

  const devices = await driver.devicesOf(record.uuid, kernel.blockDevicePaths());
  await driver.scan(devices);
  try {
    await driver.mount(devices, mountPath, false);
    return { mounted: true, degraded: false, adopted: false, missingAtMount: 0 };
  } catch (err) {
    // How many members the filesystem has is in every member's superblock.
    const shown = devices.length > 0 ? await driver.show(devices[0] as string).catch(() => null) : null;
    const total = shown?.totalDevices ?? record.members.length;
    const missing = Math.max(0, total - devices.length);
    const tolerates = PROFILES[record.profile].tolerates;
    if (missing === 0 || missing > tolerates) {
      const why = missing > tolerates
        ? `${missing} of ${total} members are missing; ${record.profile} survives at most ${tolerates}`
        : (err as Error).message;
      throw new HavenError('POOL_UNAVAILABLE', { name: record.name, detail: why }, { cause: err });
    }
    log.warn({ pool: record.name, missing, total }, 'a pool member is missing: mounting degraded on purpose');
    await driver.mount(devices, mountPath, true);
    return { mounted: true, degraded: true, adopted: false, missingAtMount: missing };
  }
}

/**
 * Unmounts at stop. A scrub is cancelled first (it restarts at its next schedule); a running
 * replace keeps the filesystem busy, and that is left alone on purpose: the kernel finishes it
 * and the next havend adopts the mount.
 */
export async function unmountPool(record: PoolRecord, mountPath: string, driver: BtrfsOps, kernel: KernelView, log: Logger): Promise<void> {
  if (!kernel.mountAt(mountPath)) return;
  const replace = await driver.replaceStatus(mountPath).catch(() => null);
  if (replace?.state === 'running') {
    log.warn({ pool: record.name }, 'a replace is running: the pool stays mounted and the kernel carries on');
    return;
  }
  await driver.scrubCancel(mountPath).catch(() => undefined);
  // The scrub's btrfs-progs process holds the mount point open until it has written its
  // final stats, a moment after the cancel: retry briefly before giving up.
  for (let attempt = 1; ; attempt++) {
    try {
      await driver.unmount(mountPath);
      return;
    } catch (err) {
      if (attempt >= 10) {
        log.warn({ err, pool: record.name }, 'the pool could not be unmounted; it stays mounted');
        return;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
