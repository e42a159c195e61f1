// Builds the pool area (called by app.ts, the composition root) in two stages, because the
// datastore lives on the pool: bootPool() mounts a configured pool before the datastore
// opens and says where the datastore is; createPoolArea() wires the service, the swap
// workflow, the periodic check and the monthly scrub once the rest of the daemon exists.

import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { DiskDirectory } from '../disks/inventory.js';
import type { EventBus } from '../events.js';
import type { CommandRunner } from '../../../core/src/exec/runner.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import { openStateDb, type StateDb } from '../state/state-db.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { BtrfsDriver } from './btrfs-driver.js';
import { DiskRoles } from './disk-roles.js';
import { KernelState } from './kernel-state.js';
import { createPool } from './pool-create.js';
import { datastoreOnPool, mountPathOf, mountPool, unmountPool, type MountState } from './pool-mount.js';
import { PoolRecords } from './pool-record.js';
import { PoolService } from './pool-service.js';
import { WipeExecutor } from './wipe-executor.js';
import { Locator } from './swap/locator.js';
import { SwapService } from './swap/swap-service.js';
import { verifyLiveStore } from '../store/live-verify.js';
import type { CreatePoolRequest } from '../../../core/src/api/pool.js';
import { HavenError } from '../../../core/src/errors.js';

export interface PoolBootDeps {
  state: StateDb;
  runner: CommandRunner;
  config: Config['pool'];
  dataDir: string;
  log: Logger;
}

export async function bootPool(deps: PoolBootDeps) {
  const records = new PoolRecords(deps.state);
  const kernel = new KernelState();
  const driver = new BtrfsDriver(deps.runner, () => records.get()?.name ?? 'pool');
  const mountPath = mountPathOf(deps.config.mountPath, deps.dataDir);
  const record = records.get();
  const mountState: MountState | null = record ? await mountPool(record, mountPath, driver, kernel, deps.log) : null;
  return {
    records, kernel, driver, mountPath, mountState,
    /** datastore.path when set; else the pool's datastore/ when a pool is configured; else <dataDir>/datastore. */
    datastorePath(loaded: LoadedConfig): string {
      if (loaded.config.datastore.path !== '' || !records.get()) return loaded.datastorePath;
      return datastoreOnPool(mountPath);
    },
    /** Unmounts at stop (a pool created while running included). */
    async stop(): Promise<void> {
      const r = records.get();
      if (r) await unmountPool(r, mountPath, driver, kernel, deps.log);
    },
  };
}

/**
 * Where the datastore is, for offline commands (`havend store check`): on the pool when one
 * is configured, which must then be mounted (a running havend mounts it).
 */
export async function datastorePathOffline(loaded: LoadedConfig): Promise<string> {
  if (loaded.config.datastore.path !== '') return loaded.datastorePath;
  const state = openStateDb(loaded.config.dataDir);
  try {
    const record = new PoolRecords(state).get();
    if (!record) return loaded.datastorePath;
    const mountPath = mountPathOf(loaded.config.pool.mountPath, loaded.config.dataDir);
    if (!new KernelState().btrfsMounted(record.uuid) || new KernelState().mountAt(mountPath) === null) {
      throw new HavenError('POOL_UNAVAILABLE', { name: record.name, detail: `not mounted at ${mountPath}; start havend, which mounts it` });
    }
    return datastoreOnPool(mountPath);
  } finally {
    await state.close();
  }
}

export type PoolBoot = Awaited<ReturnType<typeof bootPool>>;

export interface PoolAreaDeps {
  boot: PoolBoot;
  state: StateDb;
  runner: CommandRunner;
  config: Config['pool'];
  /** datastore.path when set (the datastore then never moves onto a pool). */
  pinnedDatastore: string | null;
  stateDir: string;
  bus: EventBus;
  alerts: AlertCenter;
  tasks: TaskRegistry;
  scheduler: Scheduler;
  disks: DiskDirectory;
  rescan: () => Promise<void>;
  store: ChunkStore;
  log: Logger;
}

export function createPoolArea(deps: PoolAreaDeps) {
  const { boot } = deps;
  const wipe = new WipeExecutor(deps.runner, boot.kernel, deps.stateDir);
  const roles = new DiskRoles(deps.disks, deps.alerts, deps.log);
  const service = new PoolService({
    records: boot.records, driver: boot.driver, kernel: boot.kernel, wipe, disks: deps.disks, roles, rescan: deps.rescan,
    bus: deps.bus, alerts: deps.alerts, tasks: deps.tasks, mountPath: boot.mountPath, datastorePath: () => deps.store.root,
    mountState: boot.mountState, log: deps.log,
  });
  const create = (req: CreatePoolRequest) => createPool({
    service, records: boot.records, driver: boot.driver, kernel: boot.kernel, wipe, disks: deps.disks, roles, store: deps.store,
    mountPath: boot.mountPath, pinnedDatastore: deps.pinnedDatastore, log: deps.log,
  }, req);
  const swaps = new SwapService({
    state: deps.state, pool: service, disks: deps.disks, roles, wipe, bus: deps.bus, tasks: deps.tasks,
    locator: new Locator(deps.runner, deps.log), verify: (signal, progress) => verifyLiveStore(deps.store, signal, progress), log: deps.log,
  });
  service.swapProbe = () => swaps.activeRef();
  return {
    service, wipe, create, swaps,
    async start(): Promise<void> {
      await swaps.start();
      await service.check().catch((err: unknown) => deps.log.error({ err }, 'pool check failed'));
      deps.scheduler.every('pool.check', deps.config.checkSeconds * 1000, async () => {
        await service.check();
      });
      if (deps.config.scrubCron !== '') {
        deps.scheduler.cron('pool.scrub', deps.config.scrubCron, () => {
          if (!boot.records.get()) return;
          try {
            service.startScrub();
          } catch (err) {
            deps.log.warn({ err }, 'scheduled scrub not started');
          }
        });
      }
    },
    async stop(): Promise<void> {
      deps.scheduler.remove('pool.check');
      deps.scheduler.remove('pool.scrub');
      await swaps.stop();
    },
  };
}
