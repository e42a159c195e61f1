// The retention area: per-group policies (state db), preview and prune, and the scheduled
// prune (`retention.pruneCron`, daily at 01:30 by default; empty disables). It starts after
// the jobs and backup areas it uses and before the HTTP area that serves it.

import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Catalog } from '../backup/catalog.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import { PolicyStore } from '../retention/policy-store.js';
import { PruneService } from '../retention/prune.js';
import type { StateDb } from '../state/state-db.js';
import type { Holds } from '../store/store-api.js';

const JOB = 'retention.prune';

export interface RetentionAreaDeps {
  config: Config['retention'];
  state: StateDb;
  catalog: Catalog;
  holds: Pick<Holds, 'on'>;
  tasks: TaskRegistry;
  scheduler: Scheduler;
  now: () => number;
  log: Logger;
}

/** The appliance's time zone (TZ, else the system's): calendar periods are local to it. */
export function applianceTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function retentionArea(deps: RetentionAreaDeps) {
  const policies = new PolicyStore(deps.state, deps.now);
  const prune = new PruneService({ catalog: deps.catalog, holds: deps.holds, policies, tasks: deps.tasks, timeZone: applianceTimeZone() });
  return {
    name: 'retention',
    policies, prune,
    start(): void {
      if (deps.config.pruneCron === '') return;
      deps.scheduler.cron(JOB, deps.config.pruneCron, async () => {
        if (policies.list().length === 0) return;
        try {
          await prune.prune({ by: 'schedule' });
        } catch (err) {
          // The task has recorded it with its log; the next run tries again.
          deps.log.warn({ err }, 'scheduled prune failed');
        }
      });
    },
    stop(): void {
      deps.scheduler.remove(JOB);
    },
  };
}
