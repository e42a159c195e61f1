// The disk swap workflow: technician actions from the API, the appliance's steps run as a
// task (`disk.swap`), every transition persisted (swap-store.ts) before it is acted on, and
// the workflow resumed where it stood when havend starts. One swap at a time. Events:
// `swap.changed` (the whole record, on every change) and `swap.progress` (throttled).

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { DiskRecord } from '../../../../core/src/api/disks.js';
import type { PoolMember } from '../../../../core/src/api/pool.js';
import type { ConfirmSwapRequest, StartSwapRequest, SwapDisk, SwapInfo, SwapLocate } from '../../../../core/src/api/swap.js';
import { HavenError } from '../../../../core/src/errors.js';
import type { DiskDirectory } from '../../disks/inventory.js';
import type { EventBus } from '../../events.js';
import type { TaskContext, TaskRegistry } from '../../jobs/tasks.js';
import type { StateDb } from '../../state/state-db.js';
import type { LiveVerifyReport } from '../../store/live-verify.js';
import { confirmTarget, matchesCode } from '../confirm-code.js';
import type { PoolService } from '../pool-service.js';
import { describeScrub, runScrub } from '../scrub-runner.js';
import type { WipeExecutor } from '../wipe-executor.js';
import type { Locator } from './locator.js';
import { cancelReplace, rebuild, rebuildFinished, SwapCancel } from './swap-rebuild.js';
import { allowedActions, enter, nextStep, toInfo, type SwapDiskRecord, type SwapRecord } from './swap-machine.js';
import { SwapStore } from './swap-store.js';

export interface SwapDeps {
  state: StateDb;
  pool: PoolService;
  disks: DiskDirectory;
  wipe: WipeExecutor;
  bus: EventBus;
  tasks: TaskRegistry;
  locator: Locator;
  verify: (signal: AbortSignal, progress: (fraction: number, message: string) => void) => Promise<LiveVerifyReport>;
  log: Logger;
  /** How often replace and scrub status are read. */
  pollMs?: number;
}

export class SwapService {
  private readonly store: SwapStore;
  private current: SwapRecord | null = null;
  private automation: { abort: AbortController; done: Promise<void>; taskId: string } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private lockHeld = false;
  private lastProgressEmit = 0;
  private lastProgressPersist = 0;
  private stopped = false;

  constructor(private readonly deps: SwapDeps) {
    this.store = new SwapStore(deps.state);
  }

  /** Resumes the unfinished swap, if any, where it stood. */
  async start(): Promise<void> {
    this.current = this.store.active();
    this.deps.bus.on(this, 'disk.added', () => this.onDisksChanged());
    this.deps.bus.on(this, 'disk.changed', () => this.onDisksChanged());
    this.deps.bus.on(this, 'disk.removed', (d) => void this.onDiskRemoved(d));
    const r = this.current;
    if (!r) return;
    this.deps.log.info({ swap: r.id, step: r.step, state: r.state, phase: r.phase }, 'resuming the disk swap');
    // The progress stored last belongs to the process that stopped; say what happens now.
    if (r.state === 'working') {
      r.progress = { fraction: null, message: 'resuming after a restart' };
      this.drive();
    }
    else if (r.state === 'waiting') {
      // Only the steps where the technician looks for the old disk change (and need a write).
      const located = await this.withLocate(r);
      if (located !== r) await this.save(located);
    }
    if (r.step === 'remove-old') await this.onDiskRemoved(null);
  }

  /**
   * Stops listening and locating. A running automation is left to the task registry, which
   * aborts its task at stop (status `interrupted`); the kernel's replace carries on and the
   * record stays at its step and phase, so the next start resumes it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.bus.removeListeners(this);
    await this.deps.locator.stop();
  }

  /** The swap in progress, for the pool's status. */
  activeRef(): { id: string; step: string } | null {
    return this.current ? { id: this.current.id, step: this.current.step } : null;
  }

  /** The swap in progress, whole (the live state's part). */
  activeInfo(): SwapInfo | null {
    return this.current ? this.info(this.current) : null;
  }

  list(): SwapInfo[] {
    return this.store.list().map((r) => this.info(this.current?.id === r.id ? this.current : r));
  }

  get(id: string): SwapInfo {
    return this.info(this.find(id));
  }

  begin(req: StartSwapRequest): Promise<SwapInfo> {
    return this.serial(async () => {
      const { record } = this.deps.pool.requireBtrfs();
      if (this.current) throw new HavenError('SWAP_ACTIVE', { id: this.current.id, step: this.current.step });
      if (req.disk === undefined && req.devid === undefined) throw new HavenError('VALIDATION_FAILED', { detail: 'name the member to replace: disk or devid' });
      const status = await this.deps.pool.status();
      const member = status.members.find((m) => (req.disk !== undefined ? m.diskId === req.disk : m.devid === req.devid));
      if (!member) throw new HavenError('POOL_MEMBER_NOT_FOUND', { name: record.name, member: req.disk !== undefined ? `disk ${req.disk}` : `devid ${req.devid}` });
      const others = status.members.filter((m) => m !== member && m.missing);
      if (!member.missing && others.length > 0) {
        throw new HavenError('POOL_BELOW_REDUNDANCY', {
          detail: `devid ${others.map((m) => m.devid).join(', ')} is missing: replace the missing member first, before taking on ${member.serial ?? `devid ${member.devid}`}`,
          profile: record.profile, min: status.minDevices,
        });
      }
      const at = new Date().toISOString();
      const rec: SwapRecord = {
        id: `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`, pool: record.name, created: at, updated: at,
        path: member.missing ? 'missing' : 'present', reason: reasonOf(member), step: 'locate', state: 'waiting',
        old: this.oldDisk(member, record.members.find((m) => m.devid === member.devid)?.sizeBytes ?? 0),
        new: null, phase: null, times: { locate: { started: at, ended: null } }, results: {}, progress: null, locate: null, taskId: null, error: null,
      };
      this.current = rec;
      await this.save(await this.withLocate(rec));
      this.deps.log.info({ swap: rec.id, devid: member.devid, path: rec.path, reason: rec.reason }, 'disk swap started');
      return this.info(this.current ?? rec);
    });
  }

  confirm(id: string, req: ConfirmSwapRequest): Promise<SwapInfo> {
    return this.serial(async () => {
      const r = this.actionable(id, 'confirm');
      if (r.step === 'locate') {
        if (!matchesCode(codeSubject(r.old), req.code)) {
          throw new HavenError('SWAP_CODE_MISMATCH', { code: req.code, what: confirmTarget(codeSubject(r.old)).what, disk: describe(r.old) });
        }
        await this.deps.locator.stop();
        await this.save(enter({ ...r, locate: null }, 'insert-new', now()));
      } else if (r.step === 'insert-new') {
        const chosen = this.chooseNewDisk(r, req);
        const next = enter({ ...r, new: diskRecordOf(chosen) }, 'rebuilding', now());
        await this.save(next);
        this.deps.log.info({ swap: id, disk: chosen.id, device: chosen.devicePath }, 'new disk confirmed for wiping');
        this.drive();
      } else if (r.step === 'remove-old') {
        if (!matchesCode(codeSubject(r.old), req.code)) {
          throw new HavenError('SWAP_CODE_MISMATCH', { code: req.code, what: confirmTarget(codeSubject(r.old)).what, disk: describe(r.old) });
        }
        await this.finishRemoveOld(r);
      }
      return this.info(this.current ?? this.find(id));
    });
  }

  async cancel(id: string): Promise<SwapInfo> {
    const r = this.actionable(id, 'cancel');
    // Outside the queue: the automation takes the queue for its checkpoints while it winds down.
    const a = this.automation;
    if (r.step === 'rebuilding' && a) {
      a.abort.abort(new SwapCancel());
      try {
        this.deps.tasks.cancel(a.taskId); // so the task ends `cancelled`
      } catch {
        // it ended meanwhile
      }
      await a.done;
    }
    return this.serial(async () => {
      const after = this.actionable(id, 'cancel');
      if (after.step === 'rebuilding') {
        const { mountPath } = this.deps.pool.requireBtrfs();
        const status = await this.deps.pool.driver.replaceStatus(mountPath);
        if (status.state === 'running') await cancelReplace(this.deps.pool.driver, mountPath);
        if (after.new?.diskId && (await rebuildFinished(after, this.deps.pool.driver, mountPath, this.deps.disks))) {
          this.drive(); // too late: the new disk already holds the data; carry on to the scrub
          throw new HavenError('SWAP_ACTION_NOT_ALLOWED', { action: 'cancel', step: after.step, state: 'working', allowed: 'none (the rebuild had just finished)' });
        }
        if (after.new?.diskId) await this.deps.disks.release(after.new.diskId, after.pool).catch(() => undefined);
      }
      await this.deps.locator.stop();
      await this.save(enter({ ...(this.current as SwapRecord), locate: null }, 'cancelled', now()));
      this.current = null;
      this.releaseLock();
      void this.deps.pool.check();
      return this.get(id);
    });
  }

  retry(id: string): Promise<SwapInfo> {
    return this.serial(async () => {
      const r = this.actionable(id, 'retry');
      const next: SwapRecord = { ...r, state: r.step === 'locate' || r.step === 'insert-new' || r.step === 'remove-old' ? 'waiting' : 'working', error: null, updated: now() };
      await this.save(next.state === 'working' ? next : await this.withLocate(next));
      if (next.state === 'working') this.drive();
      return this.info(next);
    });
  }

  // ---------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private find(id: string): SwapRecord {
    if (this.current?.id === id) return this.current;
    const r = this.store.get(id);
    if (!r) throw new HavenError('SWAP_NOT_FOUND', { id });
    return r;
  }

  private actionable(id: string, action: 'confirm' | 'cancel' | 'retry'): SwapRecord {
    const r = this.find(id);
    const allowed = allowedActions(r);
    if (this.current?.id !== id || !allowed.includes(action)) {
      throw new HavenError('SWAP_ACTION_NOT_ALLOWED', { action, step: r.step, state: r.state, allowed: allowed.join(', ') || 'none' });
    }
    return r;
  }

  private async save(r: SwapRecord): Promise<void> {
    const next = { ...r, updated: now() };
    if (this.current?.id === r.id || next.state !== 'finished') this.current = next.state === 'finished' ? null : next;
    await this.store.put(next);
    this.deps.bus.emit('swap.changed', this.info(next));
  }

  private oldDisk(m: PoolMember, recordedSize: number): SwapDiskRecord {
    return { diskId: m.diskId, devid: m.devid, serial: m.serial, model: m.model, sizeBytes: m.sizeBytes || recordedSize, slot: m.slot };
  }

  private diskOrNull(id: string | null): DiskRecord | null {
    if (!id) return null;
    try {
      return this.deps.disks.get(id);
    } catch {
      return null;
    }
  }

  /** Disks that may take the old one's place: present, unclaimed, large enough, not in use. */
  private candidates(r: SwapRecord): DiskRecord[] {
    return this.deps.disks.list({ archived: false }).filter((d) => {
      if (!d.present || !d.devicePath || d.id === r.old.diskId || d.sizeBytes < r.old.sizeBytes) return false;
      if (d.role === 'system' || d.role === 'pool-member' || (d.role === 'spare' && d.roleDetail !== r.pool)) return false;
      try {
        this.deps.wipe.check(d.devicePath);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** The candidate the technician's code (and disk, if named) picks, or why none is allowed. */
  private chooseNewDisk(r: SwapRecord, req: ConfirmSwapRequest): DiskRecord {
    if (req.disk !== undefined) {
      const d = this.deps.disks.get(req.disk);
      if (!d.present || !d.devicePath) throw new HavenError('DISK_NOT_PRESENT', { id: d.id });
      if (d.role === 'system') throw new HavenError('DISK_IS_SYSTEM', { id: d.id, detail: d.roleDetail ?? 'system', role: 'pool-member' });
      if (d.role === 'pool-member' || d.id === r.old.diskId) throw new HavenError('DISK_IS_POOL_MEMBER', { id: d.id, pool: d.roleDetail ?? r.pool });
      if (d.role === 'spare' && d.roleDetail !== r.pool) throw new HavenError('DISK_ROLE_TAKEN', { id: d.id, role: d.role, owner: d.roleDetail ?? '?' });
      if (d.sizeBytes < r.old.sizeBytes) throw new HavenError('DISK_TOO_SMALL', { id: d.id, size: d.sizeBytes, needed: r.old.sizeBytes });
      if (!matchesCode(d, req.code)) throw new HavenError('WIPE_NOT_CONFIRMED', { id: d.id, what: confirmTarget(d).what });
      this.deps.wipe.check(d.devicePath);
      return d;
    }
    const matching = this.candidates(r).filter((d) => matchesCode(d, req.code));
    if (matching.length === 0) throw new HavenError('WIPE_NOT_CONFIRMED', { id: 'any new disk', what: 'serial (no new disk ends in these characters)' });
    if (matching.length > 1) throw new HavenError('SWAP_CODE_AMBIGUOUS', { code: req.code, count: matching.length });
    return matching[0] as DiskRecord;
  }

  /** `r` with the old disk being pointed at, for the steps where the technician looks for it. */
  private async withLocate(r: SwapRecord): Promise<SwapRecord> {
    if (r.step !== 'locate' && r.step !== 'remove-old') return r;
    const disk = this.diskOrNull(r.old.diskId);
    let locate: SwapLocate;
    if (disk?.present && disk.devicePath) {
      locate = await this.deps.locator.start(disk.devicePath, disk.sizeBytes);
    } else {
      locate = { method: 'none', active: false, detail: `the disk is not attached${r.old.slot ? `; it was last seen in ${r.old.slot}` : ''}` };
    }
    return { ...r, locate };
  }

  private onDisksChanged(): void {
    const r = this.current;
    // The candidate list of the insert-new screen follows disks coming and going.
    if (r && r.step === 'insert-new' && r.state === 'waiting') this.deps.bus.emit('swap.changed', this.info(r));
  }

  /** At remove-old, the old disk going away completes the step. */
  private async onDiskRemoved(d: DiskRecord | null): Promise<void> {
    await this.serial(async () => {
      const r = this.current;
      if (!r || r.step !== 'remove-old' || r.state !== 'waiting') return;
      const old = this.diskOrNull(r.old.diskId);
      if ((d && d.id === r.old.diskId) || !old?.present) await this.finishRemoveOld(r);
    });
  }

  private async finishRemoveOld(r: SwapRecord): Promise<void> {
    await this.deps.locator.stop();
    await this.finish({ ...r, locate: null });
  }

  /** done: the old disk's pool role is released only now, after the rebuild was verified. */
  private async finish(r: SwapRecord): Promise<void> {
    if (r.old.diskId) await this.deps.disks.release(r.old.diskId, r.pool).catch(() => undefined);
    await this.save(enter(r, 'done', now()));
    this.deps.log.info({ swap: r.id }, 'disk swap done');
    void this.deps.pool.check();
  }

  /** Runs the appliance's steps as a task until a human step, the end, a failure, or a stop. */
  private drive(): void {
    if (this.automation || this.stopped || !this.current) return;
    const abort = new AbortController();
    const r0 = this.current;
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
    void this.serial(async () => {
      if (this.current) await this.save({ ...this.current, taskId: task.id });
    });
  }

  private async work(ctx: TaskContext, signal: AbortSignal): Promise<void> {
    for (;;) {
      const r = await this.serial(async () => this.current);
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
        await this.serial(async () => {
          if (this.current?.id === r.id) await this.save({ ...this.current, state: 'failed', error: { code: e.code, message: e.message } });
        });
        return;
      }
    }
  }

  private async runStep(r: SwapRecord, ctx: TaskContext, signal: AbortSignal): Promise<void> {
    const progress = (fraction: number | null, message: string): void => this.progress(ctx, fraction, message);
    const advance = async (patch: Partial<SwapRecord>): Promise<void> => {
      await this.serial(async () => {
        const cur = { ...(this.current as SwapRecord), ...patch };
        const next = nextStep(cur.path, cur.step);
        if (next === 'done') await this.finish(cur);
        else {
          // The step and how to find the disk are saved together: no reader sees one without the other.
          const entered = enter(cur, next, now());
          await this.save(next === 'remove-old' ? await this.withLocate(entered) : entered);
          if (next === 'remove-old') this.releaseLock();
        }
      });
      if (this.current?.step === 'remove-old') await this.onDiskRemoved(null);
    };
    if (r.step === 'rebuilding') {
      await this.acquireLock(signal, progress);
      const outcome = await rebuild(r, {
        pool: this.deps.pool, driver: this.deps.pool.driver, wipe: this.deps.wipe, disks: this.deps.disks, signal,
        pollMs: this.deps.pollMs ?? 1000, progress, log: (m) => ctx.log(m),
        checkpoint: (phase) => this.serial(async () => {
          if (this.current) await this.save({ ...this.current, phase });
        }),
      });
      await advance({ results: { ...r.results, ...(outcome.replace ? { replace: outcome.replace } : {}) } });
    } else if (r.step === 'scrubbing') {
      await this.acquireLock(signal, progress);
      const { mountPath } = this.deps.pool.requireBtrfs();
      const { status } = await runScrub(this.deps.pool.driver, mountPath, signal, progress, this.deps.pollMs ?? 1000);
      ctx.log(describeScrub(status));
      this.releaseLock();
      if (status.counters.uncorrectableErrors > 0) throw new HavenError('SWAP_STEP_FAILED', { step: 'scrubbing', detail: describeScrub(status) });
      await advance({ results: { ...r.results, scrub: { status: status.status, counters: status.counters } } });
    } else if (r.step === 'verifying') {
      const report = await this.deps.verify(signal, progress);
      ctx.log(`verified ${report.snapshots} snapshot(s), ${report.records} object(s), ${report.bytes} bytes: ${report.problems.length} problem(s)`);
      const verify = { snapshots: report.snapshots, records: report.records, bytes: report.bytes, problems: report.problems.slice(0, 20) };
      if (report.problems.length > 0) {
        await this.serial(async () => {
          if (this.current) this.current = { ...this.current, results: { ...this.current.results, verify } };
        });
        throw new HavenError('SWAP_STEP_FAILED', { step: 'verifying', detail: `${report.problems.length} problem(s), first: ${report.problems[0]}` });
      }
      await advance({ results: { ...r.results, verify } });
    } else {
      return;
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

  private releaseLock(): void {
    if (!this.lockHeld) return;
    this.lockHeld = false;
    this.deps.pool.releaseLock();
  }

  private progress(ctx: TaskContext, fraction: number | null, message: string): void {
    const r = this.current;
    if (!r) return;
    r.progress = { fraction, message };
    ctx.progress(fraction, message);
    const t = Date.now();
    if (t - this.lastProgressEmit >= 250) {
      this.lastProgressEmit = t;
      this.deps.bus.emit('swap.progress', { id: r.id, step: r.step, fraction, message });
    }
    if (t - this.lastProgressPersist >= 5000) {
      this.lastProgressPersist = t;
      void this.store.put(r);
    }
  }

  private info(r: SwapRecord): SwapInfo {
    const old = this.diskOrNull(r.old.diskId);
    const fresh = this.diskOrNull(r.new?.diskId ?? null);
    return toInfo(r, {
      old: swapDisk(r.old, old),
      new: r.new ? swapDisk(r.new, fresh) : null,
      candidates: r.step === 'insert-new' && r.state === 'waiting' ? this.candidates(r).map((d) => swapDisk(diskRecordOf(d), d)) : [],
    });
  }
}

function now(): string {
  return new Date().toISOString();
}

function reasonOf(m: PoolMember): SwapRecord['reason'] {
  if (m.missing) return 'missing';
  if (m.flags.includes('smart-failing') || m.flags.includes('smart-warning')) return 'smart';
  if (m.flags.includes('errors')) return 'pool-errors';
  return 'admin';
}

/** What the code is checked against: the serial, else the disk id, else (a disk never known) its devid. */
function codeSubject(d: SwapDiskRecord): { id: string; serial: string | null } {
  return { id: d.diskId ?? `devid${String(d.devid ?? 0).padStart(4, '0')}`, serial: d.serial };
}

function describe(d: SwapDiskRecord): string {
  return [d.model, d.serial ? `serial ${d.serial}` : d.diskId ? `disk ${d.diskId}` : `devid ${d.devid}`].filter(Boolean).join(', ');
}

function diskRecordOf(d: DiskRecord): SwapDiskRecord {
  return { diskId: d.id, devid: null, serial: d.serial, model: d.model, sizeBytes: d.sizeBytes, slot: d.byPath };
}

function contentsOf(d: DiskRecord | null): string[] {
  if (!d) return [];
  const out: string[] = [];
  if (d.fsType) out.push(`a ${d.fsType} filesystem on the whole disk`);
  for (const p of d.partitions) out.push(`partition ${p.name}${p.fsType ? ` (${p.fsType}${p.label ? `, label ${p.label}` : ''})` : ''}`);
  if (out.length === 0) out.push('no partitions or filesystems found');
  return out;
}

function swapDisk(rec: SwapDiskRecord, d: DiskRecord | null): SwapDisk {
  const subject = codeSubject(rec);
  return {
    diskId: rec.diskId, devid: rec.devid, serial: rec.serial, model: rec.model, sizeBytes: rec.sizeBytes,
    slot: d?.byPath ?? rec.slot, devicePath: d?.present ? d.devicePath : null, present: d?.present ?? false,
    confirmWith: confirmTarget(subject).what, contents: contentsOf(d),
  };
}
