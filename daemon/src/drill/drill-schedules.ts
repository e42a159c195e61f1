// Per-entry drill schedules (issue 15: drills "scheduled per plan entry"). An active plan entry
// with its own `drillSchedule` (a cron pattern) gets a scheduler job `drill:<group>` that
// drills that group alone; `never` keeps the entry off every schedule (on demand only); an
// entry without one follows the global `drill.cron` job. Paused and retired entries have no
// job. The jobs are brought in line with the plan at start and after every change of it.

import { DRILL_NEVER, type PlanEntry } from '../../../core/src/api/plan.js';
import { HavenError } from '../../../core/src/errors.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { DrillService } from './drill-service.js';

/** The scheduler's name for a group's own drill job (the Jobs page and dead-man switch read it). */
export const drillJobName = (group: string): string => `drill:${group}`;

/** Whether the global `drill.cron` job drills the entry (it has no schedule of its own). */
export function followsGlobalDrill(entry: PlanEntry): boolean {
  return entry.mode === 'active' && (entry.drillSchedule ?? null) === null;
}

/** The entry's own drill pattern, or null (global schedule, `never`, or not active). */
function ownPattern(entry: PlanEntry): string | null {
  const s = entry.drillSchedule ?? null;
  return entry.mode === 'active' && s !== null && s !== DRILL_NEVER ? s : null;
}

/** A scheduled drill: a planned group never backed up has nothing to drill (its RPO watch says NEVER). */
export async function scheduledDrill(drills: Pick<DrillService, 'runNow'>, group: string): Promise<void> {
  try {
    await drills.runNow(group, 'schedule');
  } catch (err) {
    if (!(err instanceof HavenError && err.code === 'DRILL_NO_SNAPSHOT')) throw err;
  }
}

export class DrillSchedules {
  /** The jobs this registered: group -> pattern. */
  private readonly jobs = new Map<string, string>();

  constructor(
    private readonly scheduler: Pick<Scheduler, 'cron' | 'remove'>,
    private readonly drills: Pick<DrillService, 'runNow'>,
  ) {}

  /** Adds, replaces and removes `drill:<group>` jobs to match the entries. */
  sync(entries: readonly PlanEntry[]): void {
    const wanted = new Map<string, string>();
    for (const e of entries) {
      const pattern = ownPattern(e);
      if (pattern !== null) wanted.set(e.group, pattern);
    }
    for (const [group, pattern] of this.jobs) {
      if (wanted.get(group) === pattern) continue;
      this.scheduler.remove(drillJobName(group));
      this.jobs.delete(group);
    }
    for (const [group, pattern] of wanted) {
      if (this.jobs.has(group)) continue;
      this.scheduler.cron(drillJobName(group), pattern, () => scheduledDrill(this.drills, group));
      this.jobs.set(group, pattern);
    }
  }

  stop(): void {
    this.sync([]);
  }
}
