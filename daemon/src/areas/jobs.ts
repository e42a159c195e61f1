// The jobs area: tasks, alerts and the scheduler that other areas hang their work on. It
// starts before them and stops after them: the scheduler first (no new runs, running ones
// aborted), then the task registry (running tasks end as interrupted).

import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import { AlertCenter } from '../jobs/alerts.js';
import { Scheduler } from '../jobs/scheduler.js';
import { TaskRegistry } from '../jobs/tasks.js';
import { TASK_SCAN_LIMIT, alertFamilies, taskFamilies } from '../metrics/operations-metrics.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { StateDb } from '../state/state-db.js';

export interface JobsAreaDeps {
  state: StateDb;
  bus: EventBus;
  metrics: MetricsRegistry;
  clock: Clock;
  log: Logger;
}

export function jobsArea(deps: JobsAreaDeps) {
  const tasks = new TaskRegistry(deps.state, deps.bus, { now: () => deps.clock.now() });
  const alerts = new AlertCenter(deps.state, deps.bus);
  const scheduler = new Scheduler(deps.log);
  let unregister = (): void => {};

  return {
    name: 'jobs',
    tasks, alerts, scheduler,
    async start(): Promise<void> {
      await tasks.start();
      unregister = deps.metrics.register('jobs', () => [...taskFamilies(tasks.list({ limit: TASK_SCAN_LIMIT })), ...alertFamilies(alerts.list())]);
    },
    async stop(): Promise<void> {
      unregister();
      await scheduler.stop();
      await tasks.stop();
    },
  };
}
