// The task registry: every long-running operation (SMART self-test, scrub, disk swap, GC)
// runs as a task with an id, a kind, progress, a bounded log and a final status. Tasks are
// persisted in the state db, so the UI can show finished ones after a restart; a task that
// was running when the daemon stopped is marked `interrupted` on the next start.

import { randomBytes } from 'node:crypto';
import type { Database } from 'lmdb';
import { HavenError } from '../../../core/src/errors.js';
import type { TaskInfo, TaskLogLine, TaskStatus } from '../../../core/src/api/jobs.js';
import type { EventBus } from '../events.js';
import type { StateDb } from '../state/state-db.js';

export interface TaskContext {
  readonly id: string;
  /** Aborted when the task is cancelled or the daemon stops. */
  readonly signal: AbortSignal;
  progress(fraction: number | null, message?: string): void;
  log(message: string, level?: TaskLogLine['level']): void;
}

/** What a task body returns: an optional one-line summary kept as its result. */
export type TaskBody = (ctx: TaskContext) => Promise<string | void>;

export interface TaskOptions {
  kind: string;
  title: string;
  subject?: string | null;
}

export interface TaskRegistryOptions {
  /** Log lines kept per task (older ones are counted in logDropped). */
  maxLogLines?: number;
  /** Finished tasks kept in the db. */
  keepFinished?: number;
  /** Least time between two progress events of one task. */
  progressIntervalMs?: number;
  now?: () => number;
}

interface Running {
  info: TaskInfo;
  abort: AbortController;
  lastProgressEmit: number;
  lastPersist: number;
  done: Promise<TaskInfo>;
}

export class TaskRegistry {
  private readonly db: Database<TaskInfo, string>;
  private readonly running = new Map<string, Running>();
  /**
   * Ended tasks whose final record could not be written (the state file system full): they
   * end all the same (a task that never ends blocks its kind, and whoever waits for it, such
   * as a stop), and are kept here, newest last, to be answered and written again later.
   */
  private readonly unsaved = new Map<string, TaskInfo>();
  private readonly maxLog: number;
  private readonly keep: number;
  private readonly progressInterval: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(state: StateDb, private readonly bus: EventBus, options: TaskRegistryOptions = {}) {
    this.db = state.db<TaskInfo>('tasks');
    this.maxLog = options.maxLogLines ?? 200;
    this.keep = options.keepFinished ?? 500;
    this.progressInterval = options.progressIntervalMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  /** Marks tasks left running by a previous process as interrupted. */
  async start(): Promise<void> {
    for (const { key, value } of this.db.getRange()) {
      if (value.status === 'running' && !this.running.has(key)) {
        await this.save({ ...value, status: 'interrupted', ended: new Date(this.now()).toISOString(), result: 'the daemon stopped while it ran' });
      }
    }
  }

  /** Cancels running tasks and waits for them to finish (each body sees its signal abort). */
  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort(new Error('the daemon is stopping'));
    await Promise.allSettled(all.map((r) => r.done));
  }

  /** Starts a task now; returns at once with its info (the body runs in the background). */
  run(options: TaskOptions, body: TaskBody): TaskInfo {
    if (this.stopped) throw new HavenError('SHUTTING_DOWN');
    const id = `${this.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const info: TaskInfo = {
      id, kind: options.kind, subject: options.subject ?? null, title: options.title, status: 'running',
      progress: null, progressMessage: null, started: new Date(this.now()).toISOString(), ended: null, result: null,
      log: [], logDropped: 0,
    };
    const abort = new AbortController();
    const entry: Running = { info, abort, lastProgressEmit: 0, lastPersist: this.now(), done: Promise.resolve(info) };
    this.running.set(id, entry);
    void this.db.put(id, info);
    this.bus.emit('task.started', structuredClone(info));
    entry.done = this.execute(entry, body);
    return structuredClone(info);
  }

  /** Runs a task and waits for its end. */
  async runAndWait(options: TaskOptions, body: TaskBody): Promise<TaskInfo> {
    const info = this.run(options, body);
    return (this.running.get(info.id)?.done ?? Promise.resolve(this.get(info.id)));
  }

  cancel(id: string): void {
    const r = this.running.get(id);
    if (!r) throw new HavenError('TASK_NOT_FOUND', { id });
    r.abort.abort(new Error('cancelled by an admin'));
  }

  /** The task once it has ended, or after `waitMs` with it still running: `--wait` follows a task without polling behind its end. */
  async settled(id: string, waitMs: number): Promise<TaskInfo> {
    const r = this.running.get(id);
    if (r && waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([r.done, new Promise<void>((resolve) => { timer = setTimeout(resolve, waitMs); })]);
      clearTimeout(timer);
    }
    return this.get(id);
  }

  get(id: string): TaskInfo {
    const r = this.running.get(id);
    if (r) return structuredClone(r.info);
    const unsaved = this.unsaved.get(id);
    if (unsaved) return structuredClone(unsaved);
    const stored = this.db.get(id);
    if (!stored) throw new HavenError('TASK_NOT_FOUND', { id });
    return stored;
  }

  /** Whether a task of this kind is running now (cheap: only the running tasks are looked at). */
  isRunning(kind: string): boolean {
    for (const r of this.running.values()) if (r.info.kind === kind) return true;
    return false;
  }

  /** Most recent first (ids sort by start time). Running tasks come from memory: their db copy may lag. */
  list(filter: { kind?: string; subject?: string; limit?: number } = {}): TaskInfo[] {
    const limit = filter.limit ?? 100;
    const matches = (v: TaskInfo): boolean =>
      (filter.kind === undefined || v.kind === filter.kind) && (filter.subject === undefined || v.subject === filter.subject);
    const out = [...this.running.values()].map((r) => r.info).concat([...this.unsaved.values()]).filter(matches);
    const inMemory = (key: string): boolean => this.running.has(key) || this.unsaved.has(key);
    for (const { key, value } of this.db.getRange({ reverse: true })) {
      if (out.length >= limit + this.running.size + this.unsaved.size) break;
      if (!inMemory(key) && matches(value)) out.push(value);
    }
    return structuredClone(out.sort((a, b) => b.id.localeCompare(a.id)).slice(0, limit));
  }

  private async execute(r: Running, body: TaskBody): Promise<TaskInfo> {
    const { info } = r;
    const ctx: TaskContext = {
      id: info.id,
      signal: r.abort.signal,
      progress: (fraction, message) => this.progress(r, fraction, message ?? null),
      log: (message, level = 'info') => this.log(r, message, level),
    };
    let status: TaskStatus = 'succeeded';
    try {
      // Yield once so that run() returns (and task.started is seen) before the body's first step.
      await Promise.resolve();
      const summary = await body(ctx);
      if (typeof summary === 'string') info.result = summary;
      if (r.abort.signal.aborted) status = this.stopped ? 'interrupted' : 'cancelled';
    } catch (err) {
      status = r.abort.signal.aborted ? (this.stopped ? 'interrupted' : 'cancelled') : 'failed';
      info.result = err instanceof Error ? err.message : String(err);
      this.log(r, `ended: ${info.result}`, 'error');
    }
    info.status = status;
    info.ended = new Date(this.now()).toISOString();
    if (status === 'succeeded') info.progress = 1;
    // Kept in `running` until its final record is written: get() must find the task in one of
    // the two places, or a poll at the moment a short task ends answers TASK_NOT_FOUND.
    await this.save(info);
    this.running.delete(info.id);
    this.bus.emit('task.ended', structuredClone(info));
    await this.prune().catch(() => undefined); // refused like the save; the next end prunes
    return structuredClone(info);
  }

  /** Writes an ended task's record, and those not written before; one refused is kept unsaved. */
  private async save(info: TaskInfo): Promise<void> {
    for (const earlier of [...this.unsaved.values()]) {
      try {
        await this.db.put(earlier.id, earlier);
        this.unsaved.delete(earlier.id);
      } catch {
        break; // still refused (already reported by the state db)
      }
    }
    try {
      await this.db.put(info.id, info);
    } catch {
      this.unsaved.set(info.id, info);
      for (const id of this.unsaved.keys()) {
        if (this.unsaved.size <= this.keep) break;
        this.unsaved.delete(id);
      }
    }
  }

  private progress(r: Running, fraction: number | null, message: string | null): void {
    r.info.progress = fraction === null ? null : Math.min(1, Math.max(0, fraction));
    r.info.progressMessage = message;
    const now = this.now();
    if (now - r.lastProgressEmit >= this.progressInterval) {
      r.lastProgressEmit = now;
      this.bus.emit('task.progress', { id: r.info.id, progress: r.info.progress, message });
    }
    this.persistSoon(r);
  }

  private log(r: Running, message: string, level: TaskLogLine['level']): void {
    const line: TaskLogLine = { t: this.now(), level, message };
    r.info.log.push(line);
    if (r.info.log.length > this.maxLog) {
      r.info.log.splice(0, r.info.log.length - this.maxLog);
      r.info.logDropped += 1;
    }
    this.bus.emit('task.log', { id: r.info.id, line });
    this.persistSoon(r);
  }

  /** Progress and log writes are persisted at most every few seconds: the db is not a log sink. */
  private persistSoon(r: Running): void {
    const now = this.now();
    if (now - r.lastPersist < 5000) return;
    r.lastPersist = now;
    void this.db.put(r.info.id, r.info);
  }

  private async prune(): Promise<void> {
    let seen = 0;
    for (const { key, value } of this.db.getRange({ reverse: true })) {
      if (value.status === 'running') continue;
      if (++seen > this.keep) await this.db.remove(key);
    }
  }
}
