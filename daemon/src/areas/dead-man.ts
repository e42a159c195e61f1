// The dead-man switches as an area: started after every area that schedules jobs (so it sees
// them all), checked every `jobs.deadManCheckSeconds` and after each success of a task-backed job.

import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import { deadManFamilies } from '../metrics/drill-metrics.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { AlertCenter } from '../jobs/alerts.js';
import { DeadManSwitches } from '../jobs/dead-man.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { StateDb } from '../state/state-db.js';

const JOB = 'jobs.dead-man';

export interface DeadManAreaDeps {
  config: Config['jobs'];
  scheduler: Scheduler;
  alerts: Pick<AlertCenter, 'raise' | 'clear' | 'list'>;
  bus: EventBus;
  state: StateDb;
  metrics: MetricsRegistry;
  now: () => number;
}

export function deadManArea(deps: DeadManAreaDeps) {
  const switches = new DeadManSwitches({ ...deps, ownJob: JOB });
  let unregister = (): void => {};
  return {
    name: 'dead-man',
    switches,
    start(): void {
      switches.start();
      unregister = deps.metrics.register('dead-man', () => deadManFamilies(switches.jobs()));
      deps.scheduler.every(JOB, deps.config.deadManCheckSeconds * 1000, () => void switches.check());
    },
    stop(): void {
      deps.scheduler.remove(JOB);
      unregister();
      switches.stop();
    },
  };
}
