// The appliance's side of a disk swap: the steps nobody has to touch (rebuilding, scrubbing,
// verifying) run as one `disk.swap` task until a human step, the end, a failure or a stop.
// It holds the pool's exclusive lock while btrfs works, reports progress (task, throttled
// `swap.progress` events, a quiet checkpoint of the record every few seconds) and hands
// each finished step back to the workflow (swap-service.ts), which owns the record.

import { HavenError } from '../../../../core/src/errors.js';
import type { DiskDirectory } from '../../disks/inventory.js';
import type { EventBus } from '../../events.js';
import type { TaskContext, TaskRegistry } from '../../jobs/tasks.js';
import type { LiveVerifyReport } from '../../store/live-verify.js';
import type { PoolService } from '../pool-service.js';
import { describeScrub, runScrub } from '../scrub-runner.js';
import type { WipeExecutor } from '../wipe-executor.js';
import { rebuild, SwapCancel } from './swap-rebuild.js';
import type { SwapRecord } from './swap-machine.js';
import { describe } from './swap-view.js';

export interface SwapRunnerDeps {
  pool: PoolService;
  disks: DiskDirectory;
  wipe: WipeExecutor;
  bus: EventBus;
  tasks: TaskRegistry;
  verify: (signal: AbortSignal, progress: (fraction: number, message: string) => void) => Promise<LiveVerifyReport>;
  /** How often replace and scrub status are read. */
  pollMs?: number;
}

/** What the runner needs of the workflow that owns the record. */
export interface SwapHost {
  /** The unfinished swap as it stands. */
  current(): SwapRecord | null;
  /** Runs `fn` in the workflow's queue: every read-modify-write of the record goes through it. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Persists the record and tells the UI (swap.changed). */
  save(r: SwapRecord): Promise<void>;
  /** Persists the record without an event (a progress checkpoint). */
  saveQuietly(r: SwapRecord): Promise<void>;
  /** Changes the record in memory only (the next save writes it); returns it, null when there is none. */
  amend(patch: Partial<SwapRecord>): SwapRecord | null;
  /** Moves the record past the step just finished, with `patch` (its results) applied. */
  advance(patch: Partial<SwapRecord>): Promise<void>;
}

export class SwapRunner {
  private automation: { abort: AbortController; done: Promise<void>; taskId: string } | null = null;
  private lockHeld = false;
  private lastProgressEmit = 0;
  private lastProgressPersist = 0;
  private stopped = false;

  constructor(private readonly deps: SwapRunnerDeps, private readonly host: SwapHost) {}

  /** No new automation after this; a running one is aborted by the task registry at stop. */
  stop(): void {
    this.stopped = true;
  }

  /** Runs the appliance's steps as a task until a human step, the end, a failure, or a stop. */
  drive(): void {
    const r0 = this.host.current();
    if (this.automation || this.stopped || !r0) return;
    const abort = new AbortController();
    let ended: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const task = this.deps.tasks.run({ kind: 'disk.swap', title: `Disk swap ${r0.id}: replace ${describe(r0.old)}`, subject: r0.id }, async (ctx) => {
      // The registry aborts the task at daemon stop; a cancel aborts `abort` with SwapCancel.
      const onTaskAbort = (): void => abort.abort(ctx.signal.reason);
      ctx.signal.addEventListener('abort', onTaskAbort, { once: true });
      try {
        await this.work(ctx, abort.signal);
        if (abort.signal.aborted) throw abort.signal.reason;
      } finally {
        ctx.signal.removeEventListener('abort', onTaskAbort);
        this.automation = null;
        ended();
      }
    });
    this.automation = { abort, done, taskId: task.id };
    void this.host.serial(async () => {
      const cur = this.host.current();
      if (cur) await this.host.save({ ...cur, taskId: task.id });
    });
  }

  /** An admin's cancel: aborts the running automation (if any) and waits until it has wound down. */
  async cancel(): Promise<void> {
    const a = this.automation;
    if (!a) return;
    a.abort.abort(new SwapCancel());
    try {
      this.deps.tasks.cancel(a.taskId); // so the task ends `cancelled`
    } catch {
      // it ended meanwhile
    }
    await a.done;
  }

  /** Gives the pool's exclusive lock back, if this swap holds it. */
  releaseLock(): void {
    if (!this.lockHeld) return;
    this.lockHeld = false;
    this.deps.pool.releaseLock();
  }

  private async work(ctx: TaskContext, signal: AbortSignal): Promise<void> {
    for (;;) {
      const r = await this.host.serial(async () => this.host.current());
      if (!r || r.state !== 'working' || signal.aborted) return;
      try {
        await this.runStep(r, ctx, signal);
      } catch (err) {
        if (signal.aborted) {
          // A stop leaves the record as it is (working, at its phase): the next start resumes it.
          ctx.log(signal.reason instanceof SwapCancel ? 'cancelled' : 'interrupted: the next havend resumes here');
          this.releaseLock();
          return;
        }
        const e = err instanceof HavenError ? err : new HavenError('SWAP_STEP_FAILED', { step: r.step, detail: (err as Error).message });
        ctx.log(`${r.step} failed: ${e.message}`, 'error');
        this.releaseLock();
        await this.host.serial(async () => {
          const cur = this.host.current();
          if (cur?.id === r.id) await this.host.save({ ...cur, state: 'failed', error: { code: e.code, message: e.message } });
        });
        return;
      }
    }
  }

  private async runStep(r: SwapRecord, ctx: TaskContext, signal: AbortSignal): Promise<void> {
    const progress = (fraction: number | null, message: string): void => this.progress(ctx, fraction, message);
    if (r.step === 'rebuilding') {
      await this.acquireLock(signal, progress);
      const outcome = await rebuild(r, {
        pool: this.deps.pool, driver: this.deps.pool.driver, wipe: this.deps.wipe, disks: this.deps.disks, signal,
        pollMs: this.deps.pollMs ?? 1000, progress, log: (m) => ctx.log(m),
        checkpoint: (phase) => this.host.serial(async () => {
          const cur = this.host.current();
          if (cur) await this.host.save({ ...cur, phase });
        }),
      });
      await this.host.advance({ results: { ...r.results, ...(outcome.replace ? { replace: outcome.replace } : {}) } });
    } else if (r.step === 'scrubbing') {
      await this.acquireLock(signal, progress);
      const { mountPath } = this.deps.pool.requireBtrfs();
      const { status } = await runScrub(this.deps.pool.driver, mountPath, signal, progress, this.deps.pollMs ?? 1000);
      ctx.log(describeScrub(status));
      this.releaseLock();
      if (status.counters.uncorrectableErrors > 0) throw new HavenError('SWAP_STEP_FAILED', { step: 'scrubbing', detail: describeScrub(status) });
      await this.host.advance({ results: { ...r.results, scrub: { status: status.status, counters: status.counters } } });
    } else if (r.step === 'verifying') {
      const report = await this.deps.verify(signal, progress);
      ctx.log(`verified ${report.snapshots} snapshot(s), ${report.records} object(s), ${report.bytes} bytes: ${report.problems.length} problem(s)`);
      const verify = { snapshots: report.snapshots, records: report.records, bytes: report.bytes, problems: report.problems.slice(0, 20) };
      if (report.problems.length > 0) {
        // Kept with the record, so the failure's save shows what the verification found.
        await this.host.serial(async () => {
          const cur = this.host.current();
          if (cur) this.host.amend({ results: { ...cur.results, verify } });
        });
        throw new HavenError('SWAP_STEP_FAILED', { step: 'verifying', detail: `${report.problems.length} problem(s), first: ${report.problems[0]}` });
      }
      await this.host.advance({ results: { ...r.results, verify } });
    }
  }

  /** The pool's exclusive lock, waited for (a scheduled scrub may hold it for a while). */
  private async acquireLock(signal: AbortSignal, progress: (f: number | null, m: string) => void): Promise<void> {
    if (this.lockHeld) return;
    for (;;) {
      try {
        this.deps.pool.claimLock('a disk swap');
        this.lockHeld = true;
        return;
      } catch (err) {
        if (!(err instanceof HavenError && err.code === 'POOL_BUSY')) throw err;
        progress(null, `waiting: ${err.message}`);
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, 1000);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(signal.reason);
          }, { once: true });
        });
      }
    }
  }

  private progress(ctx: TaskContext, fraction: number | null, message: string): void {
    const r = this.host.amend({ progress: { fraction, message } });
    if (!r) return;
    ctx.progress(fraction, message);
    const t = Date.now();
    if (t - this.lastProgressEmit >= 250) {
      this.lastProgressEmit = t;
      this.deps.bus.emit('swap.progress', { id: r.id, step: r.step, fraction, message });
    }
    if (t - this.lastProgressPersist >= 5000) {
      this.lastProgressPersist = t;
      void this.host.saveQuietly(r);
    }
  }
}
