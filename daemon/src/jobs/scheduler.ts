// The job scheduler (DESIGN section 6): calendar schedules through croner (self-tests,
// prune, GC, drills), fixed intervals through a timer chain (SMART polls, which a test may
// set to one second). A run never overlaps the previous run of the same job; a job that
// throws is logged and runs again next time; stop() prevents new runs and aborts running ones.

import { Cron } from 'croner';
import type { Logger } from 'pino';

export interface JobContext {
  /** Aborted when the scheduler stops: long jobs should check it between steps. */
  readonly signal: AbortSignal;
  /** When this run was due. */
  readonly scheduledAt: Date;
}

export type JobFn = (ctx: JobContext) => Promise<void> | void;

export interface JobInfo {
  name: string;
  schedule: string;
  nextRun: string | null;
  lastRun: string | null;
  lastError: string | null;
  running: boolean;
}

interface Job {
  info: JobInfo;
  fn: JobFn;
  running: Promise<void> | null;
  stop: () => void;
  /** Runs the job now unless it is already running (hotplug, tests, "check now"). */
  trigger: () => Promise<void>;
  /** A calendar job's next run, read when asked (a run moves it on). */
  nextRun?: () => string | null;
}

// Kept importable from here: self-tests and their tests wait with it.
export { sleep } from '../clock.js';

export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly abort = new AbortController();

  constructor(private readonly log: Logger) {}

  /** Runs `fn` every `intervalMs`, first after `firstDelayMs` (default: the interval). */
  every(name: string, intervalMs: number, fn: JobFn, options: { firstDelayMs?: number } = {}): void {
    let timer: NodeJS.Timeout | null = null;
    const job = this.register(name, `every ${intervalMs} ms`, fn);
    const arm = (delay: number): void => {
      if (this.abort.signal.aborted) return;
      job.info.nextRun = new Date(Date.now() + delay).toISOString();
      timer = setTimeout(() => {
        void job.trigger().finally(() => arm(intervalMs));
      }, delay);
      timer.unref();
    };
    job.stop = () => {
      if (timer) clearTimeout(timer);
    };
    arm(options.firstDelayMs ?? intervalMs);
  }

  /** Runs `fn` on a cron pattern (croner syntax, optional seconds field). */
  cron(name: string, pattern: string, fn: JobFn): void {
    const job = this.register(name, pattern, fn);
    const cron = new Cron(pattern, { name, unref: true, protect: true }, () => job.trigger());
    job.stop = () => cron.stop();
    job.nextRun = () => cron.nextRun()?.toISOString() ?? null;
  }

  /** Runs a job now (if it is not already running) and waits for it. */
  async trigger(name: string): Promise<void> {
    await this.jobs.get(name)?.trigger();
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => ({ ...j.info, nextRun: j.nextRun ? j.nextRun() : j.info.nextRun, running: j.running !== null }));
  }

  remove(name: string): void {
    const job = this.jobs.get(name);
    if (!job) return;
    job.stop();
    this.jobs.delete(name);
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('the scheduler is stopping'));
    const running = [...this.jobs.values()].map((j) => j.running).filter((p): p is Promise<void> => p !== null);
    for (const job of this.jobs.values()) job.stop();
    await Promise.allSettled(running);
  }

  private register(name: string, schedule: string, fn: JobFn): Job {
    if (this.jobs.has(name)) throw new Error(`scheduler: job ${name} already exists`);
    const job: Job = {
      info: { name, schedule, nextRun: null, lastRun: null, lastError: null, running: false },
      fn,
      running: null,
      stop: () => {},
      trigger: async () => {
        if (job.running) return job.running;
        if (this.abort.signal.aborted) return;
        const scheduledAt = new Date();
        job.info.lastRun = scheduledAt.toISOString();
        const run = (async () => {
          try {
            await fn({ signal: this.abort.signal, scheduledAt });
            job.info.lastError = null;
          } catch (err) {
            if (this.abort.signal.aborted) return;
            job.info.lastError = err instanceof Error ? err.message : String(err);
            this.log.error({ err, job: name }, 'scheduled job failed');
          }
        })();
        // Cleared after assignment: a job that finishes synchronously must not stay "running".
        job.running = run;
        void run.finally(() => {
          if (job.running === run) job.running = null;
        });
        return job.running;
      },
    };
    this.jobs.set(name, job);
    return job;
  }
}
