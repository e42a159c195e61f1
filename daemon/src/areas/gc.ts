// The garbage collection area: the collector run as a task (one at a time), its history and
// status, its metrics, and the scheduled run (`gc.cron`, every 6 hours by default; empty: on
// demand only). It starts after the jobs and backup areas it uses and before the HTTP area
// that serves it; a run in flight at stop is ended by the task registry (interrupted).

import type { Logger } from 'pino';
import type { Sessions } from '../backup/sessions.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import { collectGarbage, gcBacklog } from '../gc/collector.js';
import { GcHistory } from '../gc/gc-history.js';
import { GC_TASK_KIND, GcService } from '../gc/gc-service.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import { gcFamilies } from '../metrics/gc-metrics.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { StateDb } from '../state/state-db.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { Holds } from '../store/store-api.js';

export interface GcAreaDeps {
  config: Config['gc'];
  store: ChunkStore;
  sessions: Sessions;
  holds: Holds;
  state: StateDb;
  bus: EventBus;
  tasks: TaskRegistry;
  scheduler: Scheduler;
  metrics: MetricsRegistry;
  /** Told after each run: stored bytes changed (the dashboard's usage). */
  usageChanged: () => void;
  log: Logger;
}

/** The collector's run and backlog over one datastore, as the service takes them. */
export function gcServiceOf(deps: Omit<GcAreaDeps, 'scheduler' | 'metrics' | 'log'>): { gc: GcService; history: GcHistory } {
  const history = new GcHistory(deps.state);
  const collector = { store: deps.store, sessions: deps.sessions, holds: deps.holds, config: deps.config };
  const gc = new GcService({
    collect: (ctx) => collectGarbage(collector, ctx),
    backlog: () => gcBacklog(deps.store),
    tasks: deps.tasks, bus: deps.bus, history, schedule: deps.config.cron,
    onRunEnded: () => deps.usageChanged(),
  });
  return { gc, history };
}

export function gcArea(deps: GcAreaDeps) {
  const { gc, history } = gcServiceOf(deps);
  let unregister = (): void => {};
  return {
    name: 'gc',
    gc, history,
    start(): void {
      gc.start();
      unregister = deps.metrics.register('gc', () => gcFamilies({
        backlog: gcBacklog(deps.store), history: history.list(), totals: history.totals(), running: gc.running,
      }));
      if (deps.config.cron === '') return;
      deps.scheduler.cron(GC_TASK_KIND, deps.config.cron, async () => {
        const run = await gc.run('schedule');
        // The task has recorded why with its log; the next run tries again.
        if (run.status === 'failed') deps.log.warn({ task: run.task, error: run.error }, 'scheduled garbage collection failed');
      });
    },
    stop(): void {
      deps.scheduler.remove(GC_TASK_KIND);
      unregister();
      gc.stop();
    },
  };
}
