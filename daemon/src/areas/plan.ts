// The protection plan area (issue 15): entries in the state db and the RPO watch, evaluated
// every `jobs.rpoCheckSeconds`, right after each commit and after a deletion (the newest
// snapshot may have gone). It starts after the retention area (whose policies an entry shows)
// and before the notify area (which reads RPO states into its messages).

import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Catalog } from '../backup/catalog.js';
import type { EventBus } from '../events.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { Scheduler } from '../jobs/scheduler.js';
import { planFamilies } from '../metrics/plan-metrics.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { PlanStore } from '../plan/plan-store.js';
import { RpoWatch, type RpoWatchDeps } from '../plan/rpo-watch.js';
import type { PolicyStore } from '../retention/policy-store.js';
import type { StateDb } from '../state/state-db.js';
import { applianceTimeZone } from './retention.js';

const JOB = 'plan.rpo-check';

export interface PlanAreaDeps {
  config: Config['jobs'];
  state: StateDb;
  catalog: Catalog;
  policies: Pick<PolicyStore, 'get'>;
  alerts: AlertCenter;
  bus: EventBus;
  scheduler: Scheduler;
  metrics: Pick<MetricsRegistry, 'register'>;
  now: () => number;
  /** Snapshots verification found damaged (they do not count for the RPO); none when absent. */
  damaged?: (snapshotId: string) => boolean;
  /** The latest drill's RTO estimate (drills are built later); not measured when absent. */
  rtoEstimate?: RpoWatchDeps['rtoEstimate'];
  /** The offsite copy's state and the pool's status (the 3-2-1 tile). */
  offsite?: RpoWatchDeps['offsite'];
  pool?: RpoWatchDeps['pool'];
  log: Logger;
}

export function planArea(deps: PlanAreaDeps) {
  const plans = new PlanStore(deps.state, deps.now);
  const watch = new RpoWatch({
    plans, catalog: deps.catalog, retention: (g) => deps.policies.get(g)?.policy ?? null, damaged: deps.damaged, rtoEstimate: deps.rtoEstimate,
    offsite: deps.offsite, pool: deps.pool,
    alerts: deps.alerts, bus: deps.bus, now: deps.now, timeZone: applianceTimeZone(),
  });
  const owner = {};
  let unregister = (): void => {};
  const check = (): void => {
    try {
      watch.check();
    } catch (err) {
      deps.log.error({ err }, 'RPO check failed');
    }
  };
  // A prune's batch deletes hundreds of snapshots in one go: one check after them, not one each.
  let checkQueued = false;
  const checkSoon = (): void => {
    if (checkQueued) return;
    checkQueued = true;
    queueMicrotask(() => {
      checkQueued = false;
      check();
    });
  };
  return {
    name: 'plan',
    plans, watch,
    start(): void {
      deps.bus.on(owner, 'snapshot.committed', checkSoon);
      deps.bus.on(owner, 'snapshot.deleted', checkSoon);
      deps.scheduler.every(JOB, deps.config.rpoCheckSeconds * 1000, check, { firstDelayMs: 0 });
      unregister = deps.metrics.register('plan', () => planFamilies(watch.list().entries));
    },
    stop(): void {
      unregister();
      deps.scheduler.remove(JOB);
      deps.bus.removeListeners(owner);
    },
  };
}
