// The recovery-drill area: drills on demand (`POST /api/v1/drills/:group`, `havend drill`)
// and on `drill.cron` (every active plan entry's group, one after the other), each a task
// that restores with the real client against this appliance. It starts after the
// areas it reads (catalogue, holds, tokens, plan) and before the HTTP area; the URL the client
// uses is only known once that area listens, so it is asked for at each drill.

import { join } from 'node:path';
import type { DrillRun } from '../../../core/src/api/drills.js';
import type { Config } from '../config/schema.js';
import type { TokenStore } from '../auth/tokens.js';
import { TreeReader } from '../backup/tree-reader.js';
import { DRILL_TASK_KIND, DrillService } from '../drill/drill-service.js';
import { HavenError } from '../../../core/src/errors.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import type { PlanStore } from '../plan/plan-store.js';
import { drillFamilies } from '../metrics/drill-metrics.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { StateDb } from '../state/state-db.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { Datastore } from '../store/datastore.js';

export interface DrillAreaDeps {
  config: Config['drill'];
  dataDir: string;
  store: ChunkStore;
  datastore: Pick<Datastore, 'catalog' | 'holds'>;
  tokens: TokenStore;
  plans: Pick<PlanStore, 'get' | 'list'>;
  alerts: Pick<AlertCenter, 'raise' | 'clear'>;
  tasks: TaskRegistry;
  /** Absent in tests that drive drills through the routes only. */
  scheduler?: Scheduler;
  metrics?: MetricsRegistry;
  state: StateDb;
  server: () => { url: string; fingerprint: string | null };
  now: () => number;
}

export function drillArea(deps: DrillAreaDeps) {
  const drills = new DrillService({
    catalog: deps.datastore.catalog, holds: deps.datastore.holds, tokens: deps.tokens,
    trees: new TreeReader(deps.store.onDisk), onDisk: deps.store.onDisk,
    rtoTarget: (g) => deps.plans.get(g)?.rto ?? null,
    alerts: deps.alerts, tasks: deps.tasks, state: deps.state, scratch: join(deps.dataDir, 'drills'),
    server: deps.server, config: deps.config, now: deps.now,
  });
  let unregister = (): void => {};
  return {
    name: 'drill',
    drills,
    start(): void {
      unregister = deps.metrics?.register('drill', () => {
        const latest = new Map<string, DrillRun>();
        for (const r of drills.history()) if (!latest.has(r.group)) latest.set(r.group, r);
        return drillFamilies([...latest.values()], drills.running);
      }) ?? unregister;
      if (deps.config.cron === '' || !deps.scheduler) return;
      deps.scheduler.cron(DRILL_TASK_KIND, deps.config.cron, async () => {
        for (const entry of deps.plans.list()) {
          if (entry.mode !== 'active') continue;
          try {
            await drills.runNow(entry.group, 'schedule');
          } catch (err) {
            // A planned group never backed up has nothing to drill (its RPO watch says NEVER).
            if (!(err instanceof HavenError && err.code === 'DRILL_NO_SNAPSHOT')) throw err;
          }
        }
      });
    },
    stop(): void {
      unregister();
      deps.scheduler?.remove(DRILL_TASK_KIND);
    },
  };
}
