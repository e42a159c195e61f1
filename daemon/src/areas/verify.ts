// The verification area: runs after each commit (new snapshots), the nightly rotation
// (`verify.cron`, 1/`verify.rotationNights` of every object each night), runs on demand, the
// quarantine and damaged-snapshot bookkeeping with their alerts, and the metrics. It starts
// after the jobs and backup areas it uses and before the HTTP area that serves it.

import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { verifyFamilies } from '../metrics/verify-metrics.js';
import type { StateDb } from '../state/state-db.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { Datastore } from '../store/datastore.js';
import type { PeerRepair } from '../replication/peer-repair.js';
import { PULL_TASK_KIND } from '../replication/peer-puller.js';
import { VERIFY_TASK_KIND, VerifyService } from '../verify/verify-service.js';
import { VerifyRecords } from '../verify/verify-records.js';

export interface VerifyAreaDeps {
  config: Config['verify'];
  store: ChunkStore;
  datastore: Pick<Datastore, 'catalog' | 'listing' | 'quarantine'>;
  state: StateDb;
  bus: EventBus;
  tasks: TaskRegistry;
  alerts: Pick<AlertCenter, 'raise' | 'clear' | 'list'>;
  scheduler: Scheduler;
  metrics: MetricsRegistry;
  now: () => number;
  log: Logger;
  /** Repairs from replication peers (the replication area's). */
  repair?: PeerRepair;
}

/** The service over one datastore (tests build it without the schedule and metrics). */
export function verifyServiceOf(deps: Omit<VerifyAreaDeps, 'scheduler' | 'metrics' | 'log'>): { verify: VerifyService; records: VerifyRecords } {
  const records = new VerifyRecords(deps.state);
  const verify = new VerifyService({
    onDisk: deps.store.onDisk, objects: deps.store, catalog: deps.datastore.catalog, listing: deps.datastore.listing,
    quarantine: deps.datastore.quarantine, records, tasks: deps.tasks, alerts: deps.alerts, bus: deps.bus, config: deps.config, now: deps.now,
    ...(deps.repair ? { repair: deps.repair } : {}),
    // A pull commits its snapshots one after another: verify them after it, not beside it.
    deferDuring: [PULL_TASK_KIND],
  });
  return { verify, records };
}

export function verifyArea(deps: VerifyAreaDeps) {
  const { verify, records } = verifyServiceOf(deps);
  let unregister = (): void => {};
  return {
    name: 'verify',
    verify, records,
    start(): void {
      verify.start();
      unregister = deps.metrics.register('verify', () => verifyFamilies({
        history: records.history(), totals: records.totals(), running: verify.running,
        damagedSnapshots: records.damagedSnapshots().length, quarantined: deps.datastore.quarantine.list().length,
        verifiedObjects: records.verifiedCount(),
      }));
      if (deps.config.cron === '') return;
      deps.scheduler.cron(VERIFY_TASK_KIND, deps.config.cron, async () => {
        verify.begin('rotation', 'schedule', null);
      });
    },
    stop(): void {
      deps.scheduler.remove(VERIFY_TASK_KIND);
      unregister();
      verify.stop();
    },
  };
}
