// The pool as the rest of the daemon sees it: status (directory or btrfs), create, scrub,
// add and remove members, and a periodic check that raises the pool's alerts and emits
// pool.changed. Exclusive operations (create, scrub, add, remove, a swap's rebuild) hold
// one lock, so two of them never race on the same filesystem; btrfs would refuse anyway,
// but the lock gives the admin a clear POOL_BUSY rather than a command's error text.

import { statfsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { DiskRecord } from '../../../core/src/api/disks.js';
import type { TaskInfo } from '../../../core/src/api/jobs.js';
import type { AddDeviceRequest, PoolStatus } from '../../../core/src/api/pool.js';
import { HavenError } from '../../../core/src/errors.js';
import type { DiskDirectory } from '../disks/inventory.js';
import type { EventBus } from '../events.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import type { BtrfsOps } from './btrfs-ops.js';
import type { DiskRoles } from './disk-roles.js';
import { totalErrors } from './btrfs-output.js';
import { matchesCode, confirmTarget } from './confirm-code.js';
import { mountedDegraded } from './kernel-state.js';
import type { KernelView } from './kernel-view.js';
import type { MountState } from './pool-mount.js';
import type { PoolMemberRecord, PoolRecord, PoolRecords } from './pool-record.js';
import { composeStatus, describeMember, directoryStatus } from './pool-status.js';
import { PROFILES } from './profiles.js';
import { describeScrub, runScrub } from './scrub-runner.js';
import type { WipeExecutor } from './wipe-executor.js';

export interface PoolServiceDeps {
  records: PoolRecords;
  driver: BtrfsOps;
  kernel: KernelView;
  wipe: WipeExecutor;
  disks: DiskDirectory;
  /** Declares members to the inventory after btrfs took them in; reports a refusal. */
  roles: DiskRoles;
  /** Rediscovers disks now (after wipes and membership changes). */
  rescan: () => Promise<void>;
  bus: EventBus;
  alerts: AlertCenter;
  tasks: TaskRegistry;
  mountPath: string;
  /** Where the datastore is now (the live store's root). */
  datastorePath: () => string;
  mountState: MountState | null;
  log: Logger;
}

export interface ActivePool {
  record: PoolRecord;
  mountPath: string;
}

export class PoolService {
  private busy: string | null = null;
  private lastSignature = '';
  /** The last check's status (metrics read it; a scrape runs no command). */
  lastStatus: PoolStatus | null = null;
  private degradedMount: boolean;
  swapProbe: () => { id: string; step: string } | null = () => null;

  constructor(private readonly deps: PoolServiceDeps) {
    this.degradedMount = deps.mountState?.degraded ?? false;
  }

  get driver(): BtrfsOps {
    return this.deps.driver;
  }

  /** What the kernel says (mounts, devices): the swap's rebuild asks it which device a path is. */
  get kernel(): KernelView {
    return this.deps.kernel;
  }

  record(): PoolRecord | null {
    return this.deps.records.get();
  }

  /** The mounted btrfs pool, or the reason there is none. */
  requireBtrfs(): ActivePool {
    const record = this.deps.records.get();
    if (!record) throw new HavenError('POOL_NOT_CONFIGURED', { path: this.deps.datastorePath() });
    if (!this.isMounted(record)) throw new HavenError('POOL_UNAVAILABLE', { name: record.name, detail: `not mounted at ${this.deps.mountPath}` });
    return { record, mountPath: this.deps.mountPath };
  }

  private isMounted(record: PoolRecord): boolean {
    const m = this.deps.kernel.mountAt(this.deps.mountPath);
    return m !== null && m.fsType === 'btrfs' && this.deps.kernel.btrfsMounted(record.uuid);
  }

  /** Runs `fn` holding the pool's exclusive-operation lock. */
  async exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.claimLock(what);
    try {
      return await fn();
    } finally {
      this.busy = null;
    }
  }

  claimLock(what: string): void {
    if (this.busy) throw new HavenError('POOL_BUSY', { name: this.deps.records.get()?.name ?? 'pool', detail: `${this.busy} is running` });
    this.busy = what;
  }

  releaseLock(): void {
    this.busy = null;
  }

  async status(): Promise<PoolStatus> {
    const record = this.deps.records.get();
    if (!record) {
      const path = this.deps.datastorePath();
      let space: { deviceBytes: number; freeBytes: number } | null = null;
      try {
        const s = statfsSync(path);
        space = { deviceBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
      } catch {
        space = null;
      }
      return directoryStatus(path, space);
    }
    const mounted = this.isMounted(record);
    const mnt = this.deps.mountPath;
    const [shown, usage, scrub] = mounted
      ? await Promise.all([
        this.deps.driver.show(mnt).catch(() => null),
        this.deps.driver.usage(mnt).catch(() => null),
        this.deps.driver.scrubStatus(mnt).catch(() => null),
      ])
      : [null, null, null];
    const mountEntry = this.deps.kernel.mountAt(mnt);
    if (mountEntry) this.degradedMount = mountedDegraded(mountEntry);
    return composeStatus({
      record, mountPath: mnt, datastorePath: this.deps.datastorePath(), mounted, degradedMount: mounted && this.degradedMount,
      shown, devinfo: mounted ? this.deps.kernel.btrfsDevinfo(record.uuid) : [], usage, scrub,
      disk: (id) => this.findDisk(id), diskAt: (p) => this.deps.disks.byDevicePath(p), swap: this.swapProbe(),
    });
  }

  private findDisk(id: string): DiskRecord | null {
    try {
      return this.deps.disks.get(id);
    } catch {
      return null;
    }
  }

  /**
   * A disk about to be wiped for the pool: present, not the system's, not another pool's,
   * confirmed by the technician, and (the executor's own check) not in use on this machine.
   */
  checkWipeable(diskId: string, code: string, owner: string): DiskRecord {
    const d = this.deps.disks.get(diskId);
    if (!d.present || !d.devicePath) throw new HavenError('DISK_NOT_PRESENT', { id: d.id });
    if (d.role === 'system') throw new HavenError('DISK_IS_SYSTEM', { id: d.id, detail: d.roleDetail ?? 'system', role: 'pool-member' });
    if (d.role === 'pool-member') throw new HavenError('DISK_IS_POOL_MEMBER', { id: d.id, pool: d.roleDetail ?? '?' });
    if (d.role === 'spare' && d.roleDetail !== owner) throw new HavenError('DISK_ROLE_TAKEN', { id: d.id, role: d.role, owner: d.roleDetail ?? '?' });
    if (!matchesCode(d, code)) throw new HavenError('WIPE_NOT_CONFIRMED', { id: d.id, what: confirmTarget(d).what });
    this.deps.wipe.check(d.devicePath);
    return d;
  }

  /** Rewrites the record's members from the kernel's view (after replace, add, remove). */
  async refreshMembers(): Promise<PoolRecord | null> {
    const { record, mountPath } = this.requireBtrfs();
    await this.deps.rescan();
    const shown = await this.deps.driver.show(mountPath);
    const now = new Date().toISOString();
    const members: PoolMemberRecord[] = shown.devices.filter((d) => d.devid !== 0).map((d) => {
      const old = record.members.find((m) => m.devid === d.devid);
      const disk = d.path ? this.deps.disks.byDevicePath(d.path) : null;
      if (!disk) return old ?? { devid: d.devid, diskId: null, serial: null, model: null, sizeBytes: d.sizeBytes ?? 0, added: now };
      const same = old?.diskId === disk.id;
      return { devid: d.devid, diskId: disk.id, serial: disk.serial, model: disk.model, sizeBytes: disk.sizeBytes, added: same && old ? old.added : now };
    });
    for (const m of members) if (m.diskId) await this.deps.roles.claimMember(m.diskId, record.name, `btrfs lists it as devid ${m.devid}`);
    return this.deps.records.setMembers(members);
  }

  async addDevice(req: AddDeviceRequest): Promise<PoolStatus> {
    const { record, mountPath } = this.requireBtrfs();
    const disk = this.checkWipeable(req.disk, req.confirm, record.name);
    await this.exclusive(`adding ${disk.devicePath}`, async () => {
      await this.deps.wipe.wipe(disk.devicePath as string);
      await this.deps.driver.deviceAdd(mountPath, disk.devicePath as string);
      await this.deps.disks.claim(disk.id, 'pool-member', record.name);
      await this.refreshMembers();
    });
    await this.check();
    return this.status();
  }

  /** Validates at once (typed refusals), then moves the member's data off it in a task. */
  async removeDevice(devid: number): Promise<TaskInfo> {
    const { record, mountPath } = this.requireBtrfs();
    const status = await this.status();
    const member = status.members.find((m) => m.devid === devid);
    if (!member) throw new HavenError('POOL_MEMBER_NOT_FOUND', { name: record.name, member: `devid ${devid}` });
    const facts = PROFILES[record.profile];
    const present = status.members.filter((m) => !m.missing).length;
    const missing = status.members.length - present;
    const left = member.missing ? present : present - 1;
    if (left < facts.minDevices || (!member.missing && missing > 0)) {
      const detail = !member.missing && missing > 0
        ? `removing ${describeMember(member)} while another member is missing would leave data without a copy`
        : `removing ${describeMember(member)} would leave ${left} disk(s)`;
      throw new HavenError('POOL_BELOW_REDUNDANCY', { detail, profile: record.profile, min: facts.minDevices });
    }
    this.claimLock(`removing devid ${devid}`);
    try {
      return this.deps.tasks.run({ kind: 'pool.remove', title: `Remove ${describeMember(member)} from pool ${record.name}`, subject: record.name }, async (ctx) => {
        try {
          ctx.log(`moving the data of ${describeMember(member)} to the other members`);
          await this.deps.driver.deviceRemove(mountPath, member.missing ? 'missing' : devid);
          if (member.diskId) await this.deps.disks.release(member.diskId, record.name);
          await this.refreshMembers();
          await this.check();
          return `${describeMember(member)} removed`;
        } finally {
          this.releaseLock();
        }
      });
    } catch (err) {
      this.releaseLock();
      throw err;
    }
  }

  /** Starts a scrub as a task (API, CLI, monthly schedule). */
  startScrub(): TaskInfo {
    const { record, mountPath } = this.requireBtrfs();
    this.claimLock('a scrub');
    try {
      return this.deps.tasks.run({ kind: 'pool.scrub', title: `Scrub pool ${record.name}`, subject: record.name }, async (ctx) => {
        try {
          const { status } = await runScrub(this.deps.driver, mountPath, ctx.signal, (f, m) => ctx.progress(f, m));
          const summary = describeScrub(status);
          ctx.log(summary);
          const key = `pool.scrub:${record.name}`;
          if (status.counters.uncorrectableErrors > 0) {
            this.deps.alerts.raise(key, {
              severity: 'critical', subject: `pool ${record.name}`,
              message: `The scrub found ${status.counters.uncorrectableErrors} error(s) it could not correct: some data has no good copy left. Check the device error counters and replace the failing disk.`,
              evidence: { uncorrectable: status.counters.uncorrectableErrors },
            });
            throw new HavenError('POOL_COMMAND_FAILED', { name: record.name, detail: summary });
          }
          this.deps.alerts.clear(key);
          return summary;
        } finally {
          this.releaseLock();
          void this.check();
        }
      });
    } catch (err) {
      this.releaseLock();
      throw err;
    }
  }

  /** Reads the pool's state; raises or clears its alerts; emits pool.changed when it changed. */
  async check(): Promise<PoolStatus | null> {
    const record = this.deps.records.get();
    if (!record) {
      this.lastStatus = await this.status();
      return null;
    }
    const s = await this.status();
    this.lastStatus = s;
    const missing = s.members.filter((m) => m.missing);
    const degradedKey = `pool.degraded:${record.name}`;
    if (!s.mounted) {
      this.deps.alerts.raise(degradedKey, { severity: 'critical', subject: `pool ${record.name}`, message: s.summary, evidence: { unmounted: 1 } });
    } else if (missing.length > 0) {
      this.deps.alerts.raise(degradedKey, { severity: 'critical', subject: `pool ${record.name}`, message: s.summary, evidence: { missing: missing.length } });
    } else {
      this.deps.alerts.clear(degradedKey);
    }
    const errorsKey = `pool.errors:${record.name}`;
    const erring = s.members.filter((m) => !m.missing && totalErrors(m.errors) > 0);
    if (erring.length > 0) {
      const evidence: Record<string, number> = {};
      for (const m of erring) for (const [k, v] of Object.entries(m.errors)) if (v > 0) evidence[`devid${m.devid}.${k}`] = v;
      this.deps.alerts.raise(errorsKey, { severity: 'warning', subject: `pool ${record.name}`, message: s.summary, evidence });
    } else {
      this.deps.alerts.clear(errorsKey);
    }
    // pool.changed when anything but usage and scrub bytes moved (those change constantly).
    const signature = JSON.stringify({ ...s, usage: null, scrub: s.scrub ? { status: s.scrub.status, started: s.scrub.started } : null });
    if (signature !== this.lastSignature) {
      this.lastSignature = signature;
      this.deps.bus.emit('pool.changed', s);
    }
    return s;
  }
}
