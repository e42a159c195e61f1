// Dead-man switches (issue 15): every scheduled job of the appliance (prune, GC, verification,
// drills, scrub, SMART polls and self-tests, the pool check, the RPO check) must succeed
// within its window, else `job.overdue:<job>` (warning) is raised; it clears by itself at the
// job's next success. The job that failed for three months unnoticed is what this is for.
//
// - The window is twice the job's period plus the smaller of one period and an hour (a daily
//   prune: 49 h; GC every 6 h: 13 h; a one-second poll in a test: 3 s), so one missed or failed
//   run is tolerated and two are not. The period is read from the scheduler: `every N ms`, or
//   the gap between a cron pattern's next two runs.
// - Success of a job whose work is a task (TASK_BACKED: the scheduled callback only starts
//   the task, or waits for it and logs) is a task of that kind ending `succeeded`, from the
//   schedule or on demand; of a plan entry's own drill job `drill:<group>`, a drill of that
//   group ending `succeeded`. Success of any other job is a scheduler run that did not throw.
// - A job never seen to succeed is measured from when this watch first saw it.
// Checked on a timer; a task-backed job's success clears its alert at once.
// Last successes are kept in the state db (`dead-man`), so a restart does not reset the clock.

import { Cron } from 'croner';
import type { Database } from 'lmdb';
import type { EventBus } from '../events.js';
import type { StateDb } from '../state/state-db.js';
import type { AlertCenter } from './alerts.js';
import type { JobInfo, Scheduler } from './scheduler.js';

const HOUR_MS = 3_600_000;
const ALERT_PREFIX = 'job.overdue:';

/** Scheduled jobs whose success is their task's: the scheduler job's name is the task kind. */
export const TASK_BACKED: ReadonlySet<string> = new Set(['store.gc', 'store.verify', 'retention.prune', 'drill', 'pool.scrub']);
/** Task kinds that also have one job per subject, named `<kind>:<subject>` (a plan entry's own drills). */
const PER_SUBJECT: ReadonlySet<string> = new Set(['drill']);

/** Whether the job's success is its tasks' (TASK_BACKED, or `<kind>:<subject>` of a PER_SUBJECT kind). */
export function isTaskBacked(name: string): boolean {
  const colon = name.indexOf(':');
  return TASK_BACKED.has(name) || (colon > 0 && PER_SUBJECT.has(name.slice(0, colon)));
}

/** The jobs a task that succeeded counts for: its kind's, and its subject's own job. */
function jobsOf(task: { kind: string; subject: string | null }): string[] {
  if (!TASK_BACKED.has(task.kind)) return [];
  return PER_SUBJECT.has(task.kind) && task.subject !== null ? [task.kind, `${task.kind}:${task.subject}`] : [task.kind];
}

interface Watched {
  /** Unix ms of the last success, or null. */
  lastSuccess: number | null;
  /** Unix ms when this watch first saw the job. */
  firstSeen: number;
}

/** One watched job as the metrics see it. */
export interface JobWatch {
  name: string;
  lastSuccess: number | null;
  overdue: boolean;
}

export interface DeadManDeps {
  scheduler: Pick<Scheduler, 'list'>;
  alerts: Pick<AlertCenter, 'raise' | 'clear' | 'list'>;
  bus: EventBus;
  state: StateDb;
  now: () => number;
  /** This watch's own job (not watched: it would only tell of itself). */
  ownJob: string;
}

/** How often a job is due, from the scheduler's description of it; null when unknown. */
export function periodOf(schedule: string): number | null {
  const every = /^every (\d+) ms$/.exec(schedule);
  if (every) return Number(every[1]);
  try {
    const cron = new Cron(schedule, { paused: true });
    const [a, b] = cron.nextRuns(2);
    cron.stop();
    return a && b ? b.getTime() - a.getTime() : null;
  } catch {
    return null;
  }
}

export function windowOf(period: number): number {
  return 2 * period + Math.min(period, HOUR_MS);
}

export class DeadManSwitches {
  private readonly db: Database<Watched, string>;
  /** What the last check found, per job. */
  private last: JobWatch[] = [];

  constructor(private readonly deps: DeadManDeps) {
    this.db = deps.state.db<Watched>('dead-man');
  }

  start(): void {
    this.deps.bus.on(this, 'task.ended', (t) => {
      if (t.status !== 'succeeded') return;
      for (const job of jobsOf(t)) {
        this.succeeded(job, Date.parse(t.ended ?? new Date(this.deps.now()).toISOString()));
        this.deps.alerts.clear(`${ALERT_PREFIX}${job}`);
      }
    });
  }

  stop(): void {
    this.deps.bus.removeListeners(this);
  }

  private watched(name: string): Watched {
    const found = this.db.get(name);
    if (found) return found;
    const fresh = { lastSuccess: null, firstSeen: this.deps.now() };
    this.db.putSync(name, fresh);
    return fresh;
  }

  private succeeded(name: string, at: number): void {
    const w = this.watched(name);
    if (w.lastSuccess !== null && w.lastSuccess >= at) return;
    this.db.putSync(name, { ...w, lastSuccess: at });
  }

  /** Raises or clears every job's alert; answers the jobs overdue now. */
  check(): string[] {
    const now = this.deps.now();
    const overdue: string[] = [];
    const scheduled = new Set<string>();
    const seen: JobWatch[] = [];
    for (const job of this.deps.scheduler.list()) {
      if (job.name === this.deps.ownJob) continue;
      const period = periodOf(job.schedule);
      if (period === null) continue;
      scheduled.add(job.name);
      if (!isTaskBacked(job.name) && succeededRun(job)) this.succeeded(job.name, Date.parse(job.lastRun as string));
      const w = this.watched(job.name);
      const since = w.lastSuccess ?? w.firstSeen;
      const window = windowOf(period);
      const key = `${ALERT_PREFIX}${job.name}`;
      seen.push({ name: job.name, lastSuccess: w.lastSuccess, overdue: now - since > window });
      if (now - since <= window) {
        this.deps.alerts.clear(key);
        continue;
      }
      overdue.push(job.name);
      this.deps.alerts.raise(key, {
        severity: 'warning',
        subject: `Job ${job.name} has not succeeded ${w.lastSuccess === null ? 'yet' : 'lately'}`,
        // No running age in the message: a check that finds nothing new changes nothing.
        message: `${job.name} (${job.schedule}) has not succeeded within its window of ${spoken(window)}: `
          + `${w.lastSuccess === null ? `never since ${new Date(w.firstSeen).toISOString()}` : `last success ${new Date(w.lastSuccess).toISOString()}`}`
          + `${job.lastError ? `; its last run failed: ${job.lastError}` : ''}.`,
      });
    }
    // A job no longer scheduled (its cron emptied) has nothing to be late for.
    for (const a of this.deps.alerts.list()) {
      if (a.key.startsWith(ALERT_PREFIX) && !scheduled.has(a.key.slice(ALERT_PREFIX.length))) this.deps.alerts.clear(a.key);
    }
    this.last = seen;
    return overdue;
  }

  /** The jobs as the last check found them (a success since counts at once). */
  jobs(): JobWatch[] {
    return this.last.map((j) => {
      const w = this.db.get(j.name);
      return { ...j, lastSuccess: w?.lastSuccess ?? j.lastSuccess };
    });
  }
}

/** A scheduler run that ended without throwing. */
function succeededRun(job: JobInfo): boolean {
  return job.lastRun !== null && job.lastError === null && !job.running;
}

/** A span as people say it: seconds, minutes or hours. */
function spoken(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * HOUR_MS) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / HOUR_MS).toFixed(1)} h`;
}
