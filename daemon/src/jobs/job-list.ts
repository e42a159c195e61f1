// Every schedule the appliance runs, as the Jobs page shows it (GET /api/v1/jobs): the
// scheduler's jobs with their next run, the last result, the task kind whose runs are the
// job's history, the dead-man switch's view, and the existing route that runs it now.
//
// A job whose work is a task (garbage collection, verification, prune, drills, scrub,
// replication pulls) takes its last result from its newest task, so a run started on demand
// counts as much as a scheduled one; any other job's last result is its scheduler's last run.

import type { JobResult, RunNowRoute, ScheduledJob, TaskInfo } from '../../../core/src/api/jobs.js';
import { isTaskBacked, type JobWatch } from './dead-man.js';
import type { JobInfo, Scheduler } from './scheduler.js';
import type { TaskRegistry } from './tasks.js';

interface JobKind {
  title: string;
  /** The tasks that are this job's runs. */
  history?: { kind: string; subject: string | null };
  runNow?: RunNowRoute;
}

const post = (path: string): RunNowRoute => ({ method: 'POST', path, body: {} });

/** What each job of the appliance is, by its scheduler name. */
const KNOWN: Record<string, JobKind> = {
  'store.gc': { title: 'Garbage collection', history: { kind: 'store.gc', subject: null }, runNow: post('/api/v1/gc') },
  'store.verify': { title: 'Verification (nightly share of every object)', history: { kind: 'store.verify', subject: null }, runNow: post('/api/v1/verify') },
  'retention.prune': { title: 'Prune (retention policies)', history: { kind: 'retention.prune', subject: null }, runNow: post('/api/v1/prune') },
  // Drills run per plan entry on demand (the Plan page); this schedule drills every active
  // entry without a drill schedule of its own (those are jobs `drill:<group>`).
  drill: { title: 'Recovery drills (plan entries on the global schedule)', history: { kind: 'drill', subject: null } },
  'pool.scrub': { title: 'Pool scrub', history: { kind: 'pool.scrub', subject: null }, runNow: post('/api/v1/pool/scrub') },
  'pool.check': { title: 'Pool check' },
  'smart.poll': { title: 'SMART poll' },
  'smart.history.prune': { title: 'SMART history downsampling' },
  'smart.selftest.short': { title: 'SMART short self-tests', history: { kind: 'smart.selftest', subject: null } },
  'smart.selftest.long': { title: 'SMART long self-tests', history: { kind: 'smart.selftest', subject: null } },
  'plan.rpo-check': { title: 'RPO check' },
  'jobs.dead-man': { title: 'Dead-man switch check' },
};

const REPLICATION = /^replication:(.+)$/;
/** A plan entry's own drill schedule (daemon/src/drill/drill-schedules.ts). */
const OWN_DRILL = /^drill:(.+)$/;

function kindOf(name: string): JobKind {
  const known = KNOWN[name];
  if (known) return known;
  const group = OWN_DRILL.exec(name)?.[1];
  if (group !== undefined) {
    return {
      title: `Recovery drill of ${group}`,
      history: { kind: 'drill', subject: group },
      runNow: post(`/api/v1/drills/${encodeURIComponent(group)}`),
    };
  }
  const peer = REPLICATION.exec(name)?.[1];
  if (peer !== undefined) {
    return {
      title: `Replication from ${peer}`,
      history: { kind: 'replication.pull', subject: peer },
      runNow: post(`/api/v1/peers/${encodeURIComponent(peer)}/replicate`),
    };
  }
  return { title: name };
}

/** Whether the job's runs are its tasks (its scheduled callback only starts them). */
function taskBacked(name: string): boolean {
  return isTaskBacked(name) || REPLICATION.test(name);
}

function fromTask(t: TaskInfo): JobResult {
  return t.status === 'running'
    ? { status: 'running', at: t.started, message: t.progressMessage }
    : { status: t.status, at: t.ended ?? t.started, message: t.result };
}

function fromRun(job: JobInfo): JobResult | null {
  if (job.lastRun === null) return null;
  if (job.running) return { status: 'running', at: job.lastRun, message: null };
  return { status: job.lastError === null ? 'ok' : 'failed', at: job.lastRun, message: job.lastError };
}

export interface JobListDeps {
  scheduler: Pick<Scheduler, 'list'>;
  tasks: Pick<TaskRegistry, 'list'>;
  /** The dead-man switches' last check; absent where they do not run. */
  deadMan?: { jobs(): JobWatch[] };
}

export function listJobs(deps: JobListDeps): ScheduledJob[] {
  const watched = new Map((deps.deadMan?.jobs() ?? []).map((w) => [w.name, w]));
  return deps.scheduler.list().map((job) => {
    const kind = kindOf(job.name);
    const h = kind.history;
    const newest = h ? deps.tasks.list(h.subject === null ? { kind: h.kind, limit: 1 } : { kind: h.kind, subject: h.subject, limit: 1 })[0] : undefined;
    const w = watched.get(job.name);
    return {
      name: job.name,
      title: kind.title,
      schedule: job.schedule,
      nextRun: job.nextRun,
      running: job.running || newest?.status === 'running',
      lastResult: taskBacked(job.name) && newest ? fromTask(newest) : fromRun(job),
      history: kind.history ?? null,
      lastSuccess: w?.lastSuccess != null ? new Date(w.lastSuccess).toISOString() : null,
      overdue: w?.overdue ?? false,
      runNow: kind.runNow ?? null,
    };
  }).sort((a, b) => a.title.localeCompare(b.title));
}
