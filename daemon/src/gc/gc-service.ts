// Garbage collection as a task (kind `store.gc`) and its surfaces: one run at a time, the
// history of runs, the status the API and the UI show. The collector itself (collector.ts)
// does the work; this file decides when it runs, who asked, and what is remembered of it.
//
// - One run at a time: a start while a run is in flight answers that run's task
//   (alreadyRunning), from the schedule as from an admin. The collector's two phases depend on
//   runs following each other, not overlapping.
// - A run's record follows its task's final state (task.ended), whatever ended it: success,
//   failure, an admin's cancel, or the daemon's stop; a kill is closed at the next start.

import type { GcRun, GcStartResponse, GcStatus, GcSummary } from '../../../core/src/api/gc.js';
import type { TaskInfo } from '../../../core/src/api/jobs.js';
import type { EventBus } from '../events.js';
import type { TaskContext, TaskRegistry } from '../jobs/tasks.js';
import type { GcHistory } from './gc-history.js';
import { gcSummaryLine } from './gc-summary-line.js';
import { unlessStateFull } from '../state/state-db.js';

export const GC_TASK_KIND = 'store.gc';

/** What the last run left condemned and dead bytes in segments (collector.ts gcBacklog). */
export interface GcBacklog {
  condemnedObjects: number;
  condemnedBytes: number;
  deadBytes: number;
}

export interface GcServiceDeps {
  /** One run of the collector (collector.ts collectGarbage over the datastore). */
  collect: (ctx: TaskContext) => Promise<GcSummary>;
  backlog: () => GcBacklog;
  tasks: Pick<TaskRegistry, 'run' | 'get'>;
  bus: EventBus;
  history: GcHistory;
  /** The cron expression of the scheduled run; '' when only on demand. */
  schedule: string;
  /** Called after each run has been recorded (the datastore's usage changed). */
  onRunEnded?: (run: GcRun) => void;
}

interface InFlight {
  id: string;
  by: string;
  summary: GcSummary | null;
  /** Why the run was stopped (a cancel, the daemon's stop), when it was: the task's result is then its summary. */
  stopped: string | null;
  done: Promise<GcRun>;
  resolve: (run: GcRun) => void;
}

export class GcService {
  private current: InFlight | null = null;
  private listening = false;

  constructor(private readonly deps: GcServiceDeps) {}

  /** Closes runs a killed daemon left open; then follows the end of every run it starts. */
  start(): void {
    unlessStateFull(() => {
      for (const run of this.deps.history.open()) this.deps.history.finish(closedAfterKill(run, this.taskOrNull(run.task)));
    });
    this.listen();
  }

  /**
   * Stops listening once no run is in flight. A running collection is not waited for here: the
   * task registry ends it (interrupted) when it stops, and its end is still recorded.
   */
  stop(): void {
    const c = this.current;
    if (c === null) this.unlisten();
    else void c.done.finally(() => this.unlisten());
  }

  /** Whether a run is in flight. */
  get running(): boolean {
    return this.current !== null;
  }

  /** Starts a run as a task, or answers the one in flight. `by`: an admin's name, or 'schedule'. */
  begin(by: string): GcStartResponse {
    if (this.current !== null) return { task: this.deps.tasks.get(this.current.id), alreadyRunning: true };
    let resolve: (run: GcRun) => void = () => undefined;
    const done = new Promise<GcRun>((r) => (resolve = r));
    // The body runs after run() has returned (the registry yields first), so `flight` is set by then.
    let flight: InFlight | null = null;
    const task = this.deps.tasks.run({ kind: GC_TASK_KIND, title: 'Garbage collection', subject: null }, async (ctx) => {
      ctx.log(`asked by ${by}`);
      const summary = await this.deps.collect(ctx);
      if (flight !== null) {
        flight.summary = summary;
        // The collector ends a cancelled run early with what it did so far; the task ends cancelled.
        if (ctx.signal.aborted) flight.stopped = reasonOf(ctx.signal.reason);
      }
      return gcSummaryLine(summary);
    });
    flight = { id: task.id, by, summary: null, stopped: null, done, resolve };
    this.current = flight;
    this.deps.history.begin({ task: task.id, started: task.started, by });
    return { task, alreadyRunning: false };
  }

  /** Starts a run (or joins the one in flight) and waits for its end. */
  async run(by: string): Promise<GcRun> {
    this.begin(by);
    return (this.current as InFlight).done;
  }

  status(): GcStatus {
    const backlog = this.deps.backlog();
    const running = this.current === null ? null : this.deps.tasks.get(this.current.id);
    return {
      running,
      schedule: this.deps.schedule,
      condemnedObjects: backlog.condemnedObjects,
      condemnedBytes: backlog.condemnedBytes,
      reclaimableBytes: backlog.condemnedBytes + backlog.deadBytes,
      history: this.deps.history.list(),
    };
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.deps.bus.on(this, 'task.ended', (t) => {
      const c = this.current;
      if (c === null || t.id !== c.id) return;
      const run = runOf(t, c);
      this.deps.history.finish(run);
      this.current = null;
      c.resolve(run);
      this.deps.onRunEnded?.(run);
    });
  }

  private unlisten(): void {
    this.listening = false;
    this.deps.bus.removeListeners(this);
  }

  private taskOrNull(id: string): TaskInfo | null {
    try {
      return this.deps.tasks.get(id);
    } catch {
      return null; // pruned from the registry's bounded list: the provisional record stands
    }
  }
}

function runOf(t: TaskInfo, c: InFlight): GcRun {
  const status = t.status === 'running' ? 'interrupted' : t.status;
  return {
    task: t.id, started: t.started, ended: t.ended ?? new Date().toISOString(), status, by: c.by,
    summary: c.summary, error: status === 'succeeded' ? null : (c.stopped ?? t.result ?? status),
  };
}

function reasonOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

/** A run the daemon was killed in: the registry marked its task interrupted at this start. */
function closedAfterKill(run: GcRun, task: TaskInfo | null): GcRun {
  if (task === null || task.status === 'running') return run;
  return { ...run, status: task.status, ended: task.ended ?? run.ended, error: task.status === 'succeeded' ? null : (task.result ?? run.error) };
}
