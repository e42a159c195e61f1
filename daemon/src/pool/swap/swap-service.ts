// The disk swap workflow: the technician's actions from the API (begin, confirm, cancel,
// retry), every transition persisted (swap-store.ts) before it is acted on, and the workflow
// resumed where it stood when havend starts. The appliance's steps run in swap-runner.ts,
// which hands each finished step back here. One swap at a time. Events: `swap.changed` (the
// whole record, on every change) and `swap.progress` (throttled, from the runner).

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { DiskRecord } from '../../../../core/src/api/disks.js';
import type { ConfirmSwapRequest, StartSwapRequest, SwapInfo, SwapLocate } from '../../../../core/src/api/swap.js';
import { HavenError } from '../../../../core/src/errors.js';
import type { StateDb } from '../../state/state-db.js';
import { confirmTarget, matchesCode } from '../confirm-code.js';
import type { DiskRoles } from '../disk-roles.js';
import type { Locator } from './locator.js';
import { cancelReplace, rebuildFinished } from './swap-rebuild.js';
import { allowedActions, enter, nextStep, toInfo, type SwapRecord } from './swap-machine.js';
import { candidates, chooseNewDisk } from './swap-new-disk.js';
import { SwapRunner, type SwapRunnerDeps } from './swap-runner.js';
import { SwapStore } from './swap-store.js';
import { codeSubject, describe, diskRecordOf, now, oldDisk, reasonOf, swapDisk } from './swap-view.js';

export interface SwapDeps extends SwapRunnerDeps {
  state: StateDb;
  locator: Locator;
  /** Gives a disk's pool role back at the end (or cancel) of a swap; reports a refusal. */
  roles: DiskRoles;
  log: Logger;
}

export class SwapService {
  private readonly store: SwapStore;
  private readonly runner: SwapRunner;
  private current: SwapRecord | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SwapDeps) {
    this.store = new SwapStore(deps.state);
    this.runner = new SwapRunner(deps, {
      current: () => this.current,
      serial: (fn) => this.serial(fn),
      save: (r) => this.save(r),
      saveQuietly: (r) => this.store.put(r),
      amend: (patch) => (this.current = this.current ? { ...this.current, ...patch } : null),
      advance: (patch) => this.advance(patch),
    });
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
      this.runner.drive();
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
    this.runner.stop();
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
        old: oldDisk(member, record.members.find((m) => m.devid === member.devid)?.sizeBytes ?? 0),
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
        const chosen = chooseNewDisk(this.deps, r, req);
        const next = enter({ ...r, new: diskRecordOf(chosen) }, 'rebuilding', now());
        await this.save(next);
        this.deps.log.info({ swap: id, disk: chosen.id, device: chosen.devicePath }, 'new disk confirmed for wiping');
        this.runner.drive();
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
    if (r.step === 'rebuilding') await this.runner.cancel();
    return this.serial(async () => {
      const after = this.actionable(id, 'cancel');
      if (after.step === 'rebuilding') {
        const { mountPath } = this.deps.pool.requireBtrfs();
        await cancelReplace(this.deps.pool.driver, this.deps.pool.kernel, mountPath);
        if (after.new?.diskId && (await rebuildFinished(after, this.deps.pool.driver, this.deps.pool.kernel, mountPath, this.deps.disks))) {
          this.runner.drive(); // too late: the new disk already holds the data; carry on to the scrub
          throw new HavenError('SWAP_ACTION_NOT_ALLOWED', { action: 'cancel', step: after.step, state: 'working', allowed: 'none (the rebuild had just finished)' });
        }
        if (after.new?.diskId) await this.deps.roles.release(after.new.diskId, after.pool, `swap ${id} was cancelled before its rebuild finished`);
      }
      await this.deps.locator.stop();
      await this.save(enter({ ...(this.current as SwapRecord), locate: null }, 'cancelled', now()));
      this.current = null;
      this.runner.releaseLock();
      void this.deps.pool.check();
      return this.get(id);
    });
  }

  retry(id: string): Promise<SwapInfo> {
    return this.serial(async () => {
      const r = this.actionable(id, 'retry');
      const next: SwapRecord = { ...r, state: r.step === 'locate' || r.step === 'insert-new' || r.step === 'remove-old' ? 'waiting' : 'working', error: null, updated: now() };
      await this.save(next.state === 'working' ? next : await this.withLocate(next));
      if (next.state === 'working') this.runner.drive();
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

  private diskOrNull(id: string | null): DiskRecord | null {
    if (!id) return null;
    try {
      return this.deps.disks.get(id);
    } catch {
      return null;
    }
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
    if (r.old.diskId) await this.deps.roles.release(r.old.diskId, r.pool, `swap ${r.id} replaced it`);
    await this.save(enter(r, 'done', now()));
    this.deps.log.info({ swap: r.id }, 'disk swap done');
    void this.deps.pool.check();
  }

  /** The runner finished a step: on to the next one, with `patch` (the step's results) kept. */
  private async advance(patch: Partial<SwapRecord>): Promise<void> {
    await this.serial(async () => {
      const cur = { ...(this.current as SwapRecord), ...patch };
      const next = nextStep(cur.path, cur.step);
      if (next === 'done') await this.finish(cur);
      else {
        // The step and how to find the disk are saved together: no reader sees one without the other.
        const entered = enter(cur, next, now());
        await this.save(next === 'remove-old' ? await this.withLocate(entered) : entered);
        if (next === 'remove-old') this.runner.releaseLock();
      }
    });
    if (this.current?.step === 'remove-old') await this.onDiskRemoved(null);
  }

  private info(r: SwapRecord): SwapInfo {
    const old = this.diskOrNull(r.old.diskId);
    const fresh = this.diskOrNull(r.new?.diskId ?? null);
    return toInfo(r, {
      old: swapDisk(r.old, old),
      new: r.new ? swapDisk(r.new, fresh) : null,
      candidates: r.step === 'insert-new' && r.state === 'waiting' ? candidates(this.deps, r).map((d) => swapDisk(diskRecordOf(d), d)) : [],
    });
  }
}
