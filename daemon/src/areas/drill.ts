// The recovery-drill area: drills on demand (`POST /api/v1/drills/:group`, `havend drill`)
// on `drill.cron` (every active plan entry without a drill schedule of its own, one after the
// other) and on each entry's own `drillSchedule` (drill-schedules.ts), each a task
// that restores with the real client against this appliance. It starts after the
// areas it reads (catalogue, holds, tokens, plan) and before the HTTP area; the URL the client
// uses is only known once that area listens, so it is asked for at each drill.

import { join } from 'node:path';
import type { DrillRun } from '../../../core/src/api/drills.js';
import type { Config } from '../config/schema.js';
import type { TokenStore } from '../auth/tokens.js';
import { TreeReader } from '../backup/tree-reader.js';
import { DRILL_TASK_KIND, DrillService } from '../drill/drill-service.js';
import { DrillSchedules, followsGlobalDrill, scheduledDrill } from '../drill/drill-schedules.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import type { PlanStore } from '../plan/plan-store.js';
import { drillFamilies } from '../metrics/drill-metrics.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { isStateFull, type StateDb } from '../state/state-db.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { Datastore } from '../store/datastore.js';

export interface DrillAreaDeps {
  config: Config['drill'];
  dataDir: string;
  store: ChunkStore;
  datastore: Pick<Datastore, 'catalog' | 'holds'>;
  tokens: TokenStore;
  plans: Pick<PlanStore, 'get' | 'list' | 'onChange'>;
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
    goal: (g) => {
      const entry = deps.plans.get(g);
      return { rto: entry?.rto ?? null, linkRateMBps: entry?.linkRateMBps ?? null };
    },
    alerts: deps.alerts, tasks: deps.tasks, state: deps.state, scratch: join(deps.dataDir, 'drills'),
    server: deps.server, config: deps.config, now: deps.now,
  });
  /** What stop() undoes, in order. */
  const undo: Array<() => void> = [];
  return {
    name: 'drill',
    drills,
    async start(): Promise<void> {
      // drills the previous process was killed in: their token, holds and scratch files go (left
      // for the next start when the state file system is full: their records stay until then)
      await drills.recover().catch((err: unknown) => {
        if (!isStateFull(err)) throw err;
      });
      const unregister = deps.metrics?.register('drill', () => {
        const latest = new Map<string, DrillRun>();
        for (const r of drills.history()) if (!latest.has(r.group)) latest.set(r.group, r);
        return drillFamilies([...latest.values()], drills.running);
      });
      if (unregister) undo.push(unregister);
      const { scheduler } = deps;
      if (!scheduler) return;
      const schedules = new DrillSchedules(scheduler, drills);
      undo.push(deps.plans.onChange(() => schedules.sync(deps.plans.list())), () => schedules.stop());
      schedules.sync(deps.plans.list());
      if (deps.config.cron === '') return;
      scheduler.cron(DRILL_TASK_KIND, deps.config.cron, async () => {
        for (const entry of deps.plans.list()) if (followsGlobalDrill(entry)) await scheduledDrill(drills, entry.group);
      });
    },
    stop(): void {
      for (const fn of undo.splice(0)) fn();
      deps.scheduler?.remove(DRILL_TASK_KIND);
    },
  };
}
