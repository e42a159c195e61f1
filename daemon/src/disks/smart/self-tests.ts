// SMART self-tests (DESIGN section 5): short weekly and long monthly by default, staggered
// so that the disks of a pool are not all busy at once. Each test is a task: started with
// `smartctl -t`, then watched through the drive's self-test log until its result appears
// (the log is read with -x; for NVMe on smartctl 7.3, from the text output).

import type { DiskRecord } from '../../../../core/src/api/disks.js';
import type { SelfTestEntry, SmartRecord } from '../../../../core/src/api/smart.js';
import type { TaskInfo } from '../../../../core/src/api/jobs.js';
import { HavenError } from '../../../../core/src/errors.js';
import { sleep, type Scheduler } from '../../jobs/scheduler.js';
import type { TaskContext, TaskRegistry } from '../../jobs/tasks.js';
import type { Inventory } from '../inventory.js';
import { REPLAY_TRANSPORT } from './replay-source.js';
import { describeDisk } from './smart-service.js';
import type { SelfTestKind, SmartSource } from './smart-source.js';

export interface SelfTestOptions {
  shortCron: string;
  longCron: string;
  staggerMs: number;
  /** How often a running test's log is read. */
  checkEveryMs?: number;
}

/** The newest finished entry, or null (a running test is not a result). */
function newest(record: SmartRecord): SelfTestEntry | null {
  return (record.selfTests ?? []).find((e) => e.result !== 'running') ?? null;
}

export class SelfTests {
  constructor(
    private readonly inventory: Inventory,
    private readonly source: SmartSource,
    private readonly tasks: TaskRegistry,
    private readonly scheduler: Scheduler,
    private readonly options: SelfTestOptions,
  ) {}

  start(): void {
    if (this.options.shortCron) this.scheduler.cron('smart.selftest.short', this.options.shortCron, (ctx) => this.runAll('short', ctx.signal));
    if (this.options.longCron) this.scheduler.cron('smart.selftest.long', this.options.longCron, (ctx) => this.runAll('long', ctx.signal));
  }

  /** Starts a test on every testable disk, `staggerMs` apart. */
  async runAll(kind: SelfTestKind, signal: AbortSignal): Promise<void> {
    const disks = this.inventory.list({ archived: false }).filter((d) => d.present && !d.backingFile && d.transport !== REPLAY_TRANSPORT);
    for (const [i, d] of disks.entries()) {
      if (i > 0) await sleep(this.options.staggerMs, signal);
      this.run(d.id, kind);
    }
  }

  /** Starts one test as a task; returns the task. */
  run(diskId: string, kind: SelfTestKind): TaskInfo {
    const disk = this.inventory.get(diskId);
    if (!disk.present) throw new HavenError('SMART_UNAVAILABLE', { id: diskId, detail: 'the disk is missing' });
    if (this.tasks.list({ kind: 'smart.selftest', subject: diskId, limit: 5 }).some((t) => t.status === 'running')) {
      throw new HavenError('SMART_UNAVAILABLE', { id: diskId, detail: 'a self-test is already running on it' });
    }
    return this.tasks.run(
      { kind: 'smart.selftest', subject: diskId, title: `${kind} self-test of ${describeDisk(disk)}` },
      (ctx) => this.body(disk, kind, ctx),
    );
  }

  private async body(disk: DiskRecord, kind: SelfTestKind, ctx: TaskContext): Promise<string> {
    const before = await this.source.read(disk, { wake: true });
    const previous = before.kind === 'record' ? newest(before.record) : null;
    const started = await this.source.startSelfTest(disk, kind);
    if (!started.ok) throw new Error(started.reason);
    ctx.log(`started; the drive estimates ${started.minutes ?? 'an unknown number of'} minutes`);
    const checkEvery = this.options.checkEveryMs ?? 60_000;
    // Bounded: twice the drive's estimate, or a day when it gave none.
    const deadline = Date.now() + (started.minutes !== null ? Math.max(started.minutes * 2 * 60_000, 10 * 60_000) : 24 * 3_600_000);
    while (Date.now() < deadline) {
      await sleep(checkEvery, ctx.signal);
      const now = await this.source.read(disk, { wake: true });
      if (now.kind !== 'record') {
        ctx.log(now.kind === 'asleep' ? 'the disk is asleep' : `cannot read the log: ${now.reason}`, 'warn');
        continue;
      }
      const note = now.record.selfTestNote ?? '';
      if (/in progress/i.test(note)) {
        const remaining = /(\d+)% remaining/.exec(note);
        const completed = /(\d+)% completed/.exec(note);
        const done = remaining ? 1 - Number(remaining[1]) / 100 : completed ? Number(completed[1]) / 100 : null;
        ctx.progress(done, note);
        continue;
      }
      const latest = newest(now.record);
      if (latest && JSON.stringify(latest) !== JSON.stringify(previous)) {
        const summary = `${latest.result}: ${latest.type}, ${latest.description}${latest.failingLba ? `, first failing LBA ${latest.failingLba}` : ''}`;
        ctx.log(summary, latest.result === 'passed' ? 'info' : 'error');
        if (latest.result !== 'passed') throw new Error(`self-test ${summary}`);
        return summary;
      }
      if (now.record.selfTests === null) throw new Error(`self-test results unavailable: ${now.record.selfTestNote ?? 'no self-test log'}`);
    }
    throw new Error('no result within twice the drive\'s estimate');
  }
}
