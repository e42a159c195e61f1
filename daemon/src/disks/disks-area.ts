// Builds the disks area from its parts (called once by app.ts, the composition root):
// discovery and hotplug keep the inventory current; SMART is read by smartctl, or from
// captures in `disks.smartReplayDir`; self-tests run on the scheduler as tasks.

import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { CommandRunner } from '../../../core/src/exec/runner.js';
import { SystemCommandWatcher } from '../exec/watch.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import type { StateDb } from '../state/state-db.js';
import { Discovery, type DiskFacts } from './discovery.js';
import { DiskService } from './disk-service.js';
import { Hotplug } from './hotplug.js';
import { Inventory } from './inventory.js';
import { SmartHistory } from './smart/history.js';
import { ReplayDirectory } from './smart/replay-source.js';
import { SelfTests } from './smart/self-tests.js';
import { SmartService } from './smart/smart-service.js';
import { SmartctlSource } from './smart/smart-source.js';
import { Sysfs } from './sysfs.js';
import { systemInformationMounts } from './system-facts.js';

export interface DisksDeps {
  config: Config['disks'];
  /** Absolute state directory (its disk is a system disk). */
  stateDir: string;
  state: StateDb;
  bus: EventBus;
  runner: CommandRunner;
  tasks: TaskRegistry;
  alerts: AlertCenter;
  scheduler: Scheduler;
  log: Logger;
}

export function createDisks(deps: DisksDeps) {
  const { config } = deps;
  const sysfs = new Sysfs();
  const discovery = new Discovery(deps.runner, sysfs, systemInformationMounts);
  const replay = config.smartReplayDir ? new ReplayDirectory(config.smartReplayDir) : null;
  const inventory = new Inventory(deps.state, deps.bus, deps.stateDir);
  const scan = async (): Promise<DiskFacts[]> => {
    const real = config.discovery ? await discovery.scan() : [];
    return replay ? replay.withReplayedDisks(real) : real;
  };
  const hotplug = new Hotplug(sysfs, config.discovery ? new SystemCommandWatcher() : null, () => void service.rescan(), deps.log, {
    pollMs: config.hotplugPollMs,
    ...(replay ? { extraFingerprint: () => replay.fingerprint() } : {}),
  });
  const service: DiskService = new DiskService(scan, inventory, hotplug, deps.log, config.rescanSeconds * 1000);
  const history = new SmartHistory(deps.state);
  const source = replay ?? new SmartctlSource(deps.runner, config.smartTimeoutSeconds * 1000);
  const smart = new SmartService(
    { state: deps.state, inventory, source, history, alerts: deps.alerts, bus: deps.bus, scheduler: deps.scheduler },
    { pollMs: config.smartPollSeconds * 1000 },
  );
  const selfTests = new SelfTests(inventory, source, deps.tasks, deps.scheduler, {
    shortCron: config.selfTestShortCron,
    longCron: config.selfTestLongCron,
    staggerMs: config.selfTestStaggerMinutes * 60_000,
  });
  return {
    inventory, smart, history, selfTests,
    /** Rediscovers now (the pool calls it after changing disks) and resolves when the inventory reflects it. */
    rescan: () => service.rescan(),
    /** Active only when there is something to watch (the machine's disks, or a replay directory). */
    enabled: config.discovery || replay !== null,
    async start(): Promise<void> {
      await service.start();
      smart.start();
      selfTests.start();
    },
    async stop(): Promise<void> {
      smart.stop();
      await service.stop();
    },
  };
}
