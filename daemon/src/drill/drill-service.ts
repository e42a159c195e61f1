// Recovery drills as tasks (kind `drill`), one at a time on the appliance. A drill of a group:
//
// 1. picks the newest snapshot and a random older one, and holds both against garbage
//    collection and prune (owner `drill:<group>`) until it ends;
// 2. restores each, whole when it has at most `drill.sampleFiles` files, else that many files
//    picked at random, with the real client as a child process (restore-child.ts) into a
//    scratch directory on the appliance, through a token of the group's backup scope created
//    for the drill and revoked after it;
// 3. compares what was restored with the snapshot's record (restore-compare.ts), measuring
//    the time to the first restored byte, bytes/s and files/s;
// 4. estimates the group's RTO: time to first byte + the newest snapshot's size / the rate a
//    recovery would get, the measured one or, when the plan entry gives the client's link rate
//    and that is slower, the link's (the run says which bound applied), and raises `drill.rto:<group>` (warning) when it exceeds the plan entry's RTO target;
//    a failed drill (the client failed, anything differs, data could not be read back intact)
//    raises `drill.failed:<group>` (critical) naming the paths. A passing drill clears both.
//
// Every drill's result is kept in the state db (`drill-runs`, the newest 100).
//
// A drill in flight is noted in the state db (`drill-in-flight`) before it holds anything:
// when the daemon is killed in the middle of one, the next start (recover()) revokes its
// token, releases its holds, empties its scratch area and records it as failed (the task
// itself is marked interrupted by the task registry), so nothing it took outlives it.

import { randomInt } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'lmdb';
import type { DrillRun, DrillSnapshot, DrillStartResponse, DrillStatus } from '../../../core/src/api/drills.js';
import type { RtoMeasured } from '../../../core/src/api/plan.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { HavenError } from '../../../core/src/errors.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import type { TokenStore } from '../auth/tokens.js';
import type { TreeReader } from '../backup/tree-reader.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { TaskContext, TaskRegistry } from '../jobs/tasks.js';
import type { StateDb } from '../state/state-db.js';
import type { ObjectSource } from '../store/reachability.js';
import type { Holds, SnapshotCatalog } from '../store/store-api.js';
import { failureOf } from './drill-failure.js';
import { compareRestore, filePaths } from './restore-compare.js';
import { runRestoreChild } from './restore-child.js';

export const DRILL_TASK_KIND = 'drill';
const KEEP_RUNS = 100;
/** How many file paths a sample is drawn from (a huge snapshot's first ones). */
const SAMPLE_POOL = 100_000;
/** A link rate's MB: 10^6 bytes, as links are sold. */
const MB = 1_000_000;
const INTERRUPTED = 'interrupted: the daemon stopped while the drill ran';

/** A drill that has started and not yet recorded its result. */
interface DrillInFlight {
  task: string;
  group: string;
  started: string;
  by: string;
  estimateBytes: number;
}

export interface DrillServiceDeps {
  catalog: Pick<SnapshotCatalog, 'list'>;
  holds: Pick<Holds, 'add' | 'release' | 'list'>;
  tokens: Pick<TokenStore, 'create' | 'revoke' | 'list'>;
  /** Trees read from the segments (what the comparison trusts). */
  trees: TreeReader;
  onDisk: ObjectSource;
  /** The plan entry's RTO target ('4h') and client link rate (MB/s), each null when not given. */
  goal: (group: string) => { rto: string | null; linkRateMBps: number | null };
  alerts: Pick<AlertCenter, 'raise' | 'clear'>;
  tasks: Pick<TaskRegistry, 'run' | 'get'>;
  state: StateDb;
  /** Where restores land (under the daemon's state directory). */
  scratch: string;
  /** How the client reaches this appliance (known once the HTTP area listens). */
  server: () => { url: string; fingerprint: string | null };
  config: { sampleFiles: number };
  now: () => number;
}

export class DrillService {
  private readonly runs: Database<DrillRun, string>;
  private readonly inFlight: Database<DrillInFlight, string>;
  private current: string | null = null;
  /** Settles when the drill in flight has ended. */
  private currentDone: Promise<void> = Promise.resolve();

  constructor(private readonly deps: DrillServiceDeps) {
    this.runs = deps.state.db<DrillRun>('drill-runs');
    this.inFlight = deps.state.db<DrillInFlight>('drill-in-flight');
  }

  /**
   * Undoes what drills cut short by the previous process took (their token, holds and scratch
   * files) and records each as failed. Called at start, before any drill can begin.
   */
  async recover(): Promise<number> {
    const { deps } = this;
    const left = [...this.inFlight.getRange()].map(({ value }) => value);
    for (const d of left) {
      for (const t of deps.tokens.list()) if (t.name === drillTokenName(d.task)) await deps.tokens.revoke(t.id).catch(() => undefined);
      for (const h of deps.holds.list(drillOwner(d.group))) if (h.reason.includes(d.task)) await deps.holds.release(h.owner, h.kind, h.target);
      await rm(join(deps.scratch, d.task), { recursive: true, force: true });
      const run = this.summarize(d.group, d.started, d.by, d.estimateBytes, [], INTERRUPTED, d.task);
      this.record(run);
      this.alert(run);
    }
    return left.length;
  }

  get running(): boolean {
    return this.current !== null;
  }

  /** Starts a drill of `group` as a task, or answers the drill in flight. */
  begin(group: string, by: string): DrillStartResponse {
    if (this.current !== null) return { task: this.deps.tasks.get(this.current), alreadyRunning: true };
    const snapshots = this.deps.catalog.list(group);
    if (snapshots.length === 0) throw new HavenError('DRILL_NO_SNAPSHOT', { group });
    let ended = (): void => {};
    this.currentDone = new Promise<void>((resolve) => (ended = resolve));
    const task = this.deps.tasks.run({ kind: DRILL_TASK_KIND, title: `Recovery drill of ${group}`, subject: group }, async (ctx) => {
      try {
        return await this.drill(group, snapshots, by, ctx);
      } finally {
        ended();
      }
    });
    this.current = task.id;
    return { task, alreadyRunning: false };
  }

  /** A drill (after the one in flight, if any), waited for: the schedule's way. */
  async runNow(group: string, by: string): Promise<void> {
    await this.currentDone;
    this.begin(group, by);
    await this.currentDone;
  }

  status(): DrillStatus {
    return { running: this.current === null ? null : this.deps.tasks.get(this.current), history: this.history() };
  }

  /** The RTO the group's latest drill that measured one estimated, or null. */
  rtoEstimate(group: string): RtoMeasured | null {
    const run = this.history(group).find((r) => r.rtoEstimateSeconds !== null);
    return run ? { configured: true, seconds: run.rtoEstimateSeconds as number, drilled: run.ended, task: run.task, result: run.result } : null;
  }

  /** Finished drills, newest first (of one group, when given). */
  history(group?: string): DrillRun[] {
    const out: DrillRun[] = [];
    for (const { value } of this.runs.getRange({ reverse: true })) if (group === undefined || value.group === group) out.push(value);
    return out;
  }

  private async drill(group: string, snapshots: readonly SnapshotSummary[], by: string, ctx: TaskContext): Promise<string> {
    const { deps } = this;
    const started = new Date(deps.now()).toISOString();
    const newest = snapshots[snapshots.length - 1] as SnapshotSummary;
    const picks = snapshots.length > 1 ? [newest, snapshots[randomInt(snapshots.length - 1)] as SnapshotSummary] : [newest];
    const owner = drillOwner(group);
    const area = join(deps.scratch, ctx.id);
    const results: DrillSnapshot[] = [];
    let error: string | null = null;
    let token: { id: string } | null = null;
    const estimateBytes = newest.stats.bytes ?? 0;
    // Noted before anything is taken, so that a kill at any later point is undone by recover().
    await this.inFlight.put(ctx.id, { task: ctx.id, group, started, by, estimateBytes });
    try {
      for (const p of picks) await deps.holds.add({ owner, kind: 'snapshot', target: p.id, reason: `recovery drill (task ${ctx.id})` });
      const created = await deps.tokens.create(drillTokenName(ctx.id), `backup:${group}`);
      token = created.info;
      for (const [i, p] of picks.entries()) {
        ctx.progress(i / picks.length, `restoring snapshot ${p.id.slice(0, 12)} (${p.time})`);
        results.push(await this.restoreOne(p, created.token, join(area, p.id.slice(0, 12)), ctx));
      }
    } catch (err) {
      error = (err as Error).message;
      ctx.log(`drill could not complete: ${error}`, 'error');
    } finally {
      if (token) await deps.tokens.revoke(token.id).catch(() => undefined);
      for (const p of picks) await deps.holds.release(owner, 'snapshot', p.id).catch(() => false);
      await rm(area, { recursive: true, force: true });
      this.current = null;
    }
    const run = this.summarize(group, started, by, estimateBytes, results, error, ctx.id);
    this.record(run);
    this.alert(run);
    const line = `${run.result}: ${run.filesCompared} file(s), ${run.bytesCompared} byte(s) compared; `
      + `${Math.round(run.bytesPerSecond)} B/s, RTO estimate ${run.rtoEstimateSeconds === null ? 'unknown' : `${Math.round(run.rtoEstimateSeconds)} s`}`;
    if (run.result === 'failed') throw new Error(`${line}; ${failureOf(run)}`);
    return line;
  }

  private async restoreOne(p: SnapshotSummary, token: string, target: string, ctx: TaskContext): Promise<DrillSnapshot> {
    const { deps } = this;
    await mkdir(target, { recursive: true });
    const root = Buffer.from(p.root, 'hex');
    const whole = (p.stats.files ?? 0) <= deps.config.sampleFiles;
    let sample: string[] | null = null;
    if (!whole) {
      const pool = await filePaths(deps.trees, root, SAMPLE_POOL);
      sample = [];
      while (sample.length < deps.config.sampleFiles && pool.length > 0) sample.push(pool.splice(randomInt(pool.length), 1)[0] as string);
    }
    const server = deps.server();
    const child = await runRestoreChild({
      server: server.url, fingerprint: server.fingerprint, token, snapshot: p.id, target: join(target, 'files'), home: target,
      includes: sample ?? [], signal: ctx.signal,
    });
    const clientError = child.code === 0 ? null : `haven restore exited ${child.code ?? 'on a signal'}: ${lastLine(child.stderr)}`;
    if (clientError) ctx.log(clientError, 'error');
    const compared = await compareRestore(deps.trees, deps.onDisk, root, join(target, 'files'), sample === null ? null : new Set(sample), ctx.signal);
    for (const m of compared.mismatches) ctx.log(`${p.id.slice(0, 12)}: ${m}`, 'warn');
    for (const d of compared.damagedPaths) ctx.log(`${p.id.slice(0, 12)}: ${d} is damaged on the appliance`, 'error');
    return {
      id: p.id, time: p.time, whole, filesCompared: compared.filesCompared, bytesCompared: compared.bytesCompared,
      timeToFirstByteMs: child.timeToFirstByteMs ?? child.durationMs, restoreMs: child.durationMs,
      mismatches: compared.mismatches, damagedPaths: compared.damagedPaths, clientError,
    };
  }

  private summarize(group: string, started: string, by: string, estimateBytes: number, results: DrillSnapshot[], error: string | null, task: string): DrillRun {
    const bytes = results.reduce((n, r) => n + r.bytesCompared, 0);
    const files = results.reduce((n, r) => n + r.filesCompared, 0);
    const seconds = results.reduce((n, r) => n + r.restoreMs, 0) / 1000;
    const bytesPerSecond = seconds > 0 ? bytes / seconds : 0;
    const first = results[0];
    const ttfb = first?.timeToFirstByteMs ?? 0;
    const goal = this.deps.goal(group);
    const target = goal.rto;
    const link = goal.linkRateMBps === null ? Infinity : goal.linkRateMBps * MB;
    const rateBound = bytesPerSecond <= 0 ? null : link < bytesPerSecond ? 'link' : 'appliance';
    const failed = error !== null || results.length === 0 || results.some((r) => r.clientError !== null || r.mismatches.length > 0 || r.damagedPaths.length > 0);
    return {
      task, group, started, ended: new Date(this.deps.now()).toISOString(), result: failed ? 'failed' : 'passed', by,
      snapshots: results, filesCompared: files, bytesCompared: bytes, bytesPerSecond, filesPerSecond: seconds > 0 ? files / seconds : 0,
      timeToFirstByteMs: ttfb,
      rtoEstimateSeconds: rateBound === null ? null : ttfb / 1000 + estimateBytes / Math.min(bytesPerSecond, link),
      rateBound, estimateBytes,
      rtoTargetSeconds: target === null ? null : Math.round(parseDuration(target) / 1000),
      error,
    };
  }

  /** Keeps the result and forgets the drill in flight, in one transaction (recorded once). */
  private record(run: DrillRun): void {
    this.runs.transactionSync(() => {
      this.runs.putSync(run.task, run);
      this.inFlight.removeSync(run.task);
      for (const key of [...this.runs.getKeys({ reverse: true, offset: KEEP_RUNS })]) this.runs.removeSync(key);
    });
  }

  private alert(run: DrillRun): void {
    const { alerts } = this.deps;
    if (run.result === 'failed') {
      alerts.raise(`drill.failed:${run.group}`, {
        severity: 'critical', subject: `Recovery drill of ${run.group} failed`, message: failureOf(run), group: run.group,
        evidence: { damagedPaths: run.snapshots.reduce((n, s) => n + s.damagedPaths.length, 0) },
      });
    } else alerts.clear(`drill.failed:${run.group}`);
    if (run.rtoEstimateSeconds !== null && run.rtoTargetSeconds !== null && run.rtoEstimateSeconds > run.rtoTargetSeconds) {
      alerts.raise(`drill.rto:${run.group}`, {
        severity: 'warning', subject: `Recovery of ${run.group} would take longer than its RTO`, group: run.group,
        message: `The drill measured ${Math.round(run.bytesPerSecond)} B/s${run.rateBound === 'link' ? ' (the client\'s link is slower and bounds it)' : ''}: `
          + 'restoring the newest snapshot would take about '
          + `${Math.round(run.rtoEstimateSeconds)} s, past the RTO target of ${run.rtoTargetSeconds} s.`,
      });
    } else if (run.result === 'passed') alerts.clear(`drill.rto:${run.group}`);
  }
}

function drillOwner(group: string): string {
  return `drill:${group}`;
}

function drillTokenName(task: string): string {
  return `drill ${task}`;
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
