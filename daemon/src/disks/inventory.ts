// The disk inventory: every disk ever seen, by identity, persisted in the state db. A scan
// is reconciled against it: new disks are added, known ones updated (their device names may
// have changed), vanished ones marked missing and archived with their history until an admin
// purges them. Roles: `system` is detected (the disk holding /, /boot, swap or the state
// directory); `pool-member` and `spare` are declared by the pool through claim()/release().

import { realpathSync } from 'node:fs';
import type { Database } from 'lmdb';
import { HavenError } from '../../../core/src/errors.js';
import type { DiskHealth, DiskRecord, DiskRole } from '../../../core/src/api/disks.js';
import type { EventBus } from '../events.js';
import type { StateDb } from '../state/state-db.js';
import type { DiskFacts } from './discovery.js';
import { diskIdOf } from './identity.js';

/** What other areas (pool, swap workflow) may ask of the inventory. */
export interface DiskDirectory {
  list(options?: { archived?: boolean }): DiskRecord[];
  get(id: string): DiskRecord;
  /** The present disk at a device path (/dev/sdb, a partition of it, or a symlink to either). */
  byDevicePath(path: string): DiskRecord | null;
  claim(id: string, role: 'pool-member' | 'spare', owner: string): Promise<DiskRecord>;
  release(id: string, owner: string): Promise<DiskRecord>;
}

const SYSTEM_MOUNTS = ['/', '/boot', '/boot/efi', '/usr', '/var', '[SWAP]'];

export const UNKNOWN_HEALTH: DiskHealth = {
  verdict: 'unknown', reasons: [{ code: 'no_data', severity: 'unknown', message: 'no SMART data yet: not checked' }],
  checkedAt: null, temperatureC: null, powerOnHours: null, acknowledged: null,
};

export class Inventory implements DiskDirectory {
  private readonly db: Database<DiskRecord, string>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(state: StateDb, private readonly bus: EventBus, private readonly stateDir: string, private readonly now: () => number = Date.now) {
    this.db = state.db<DiskRecord>('disks');
  }

  list(options: { archived?: boolean } = {}): DiskRecord[] {
    const all = [...this.db.getRange()].map((e) => e.value);
    const shown = options.archived === false ? all.filter((d) => !d.archived) : all;
    // present first, then by current name (what an admin reads on the screen)
    return shown.sort((a, b) => Number(b.present) - Number(a.present) || (a.name ?? '~').localeCompare(b.name ?? '~') || a.id.localeCompare(b.id));
  }

  get(id: string): DiskRecord {
    const d = this.db.get(id);
    if (!d) throw new HavenError('DISK_NOT_FOUND', { id });
    return d;
  }

  find(id: string): DiskRecord | null {
    return this.db.get(id) ?? null;
  }

  byDevicePath(path: string): DiskRecord | null {
    let real = path;
    try {
      real = realpathSync(path);
    } catch {
      // not a node on this machine (or already gone): compare the path as given
    }
    for (const { value: d } of this.db.getRange()) {
      if (!d.present) continue;
      if (d.devicePath === real || d.devicePath === path || d.partitions.some((p) => p.path === real || p.path === path)) return d;
    }
    return null;
  }

  /** Reconciles a scan (serialized with every other change to the inventory). */
  reconcile(facts: DiskFacts[]): Promise<void> {
    return this.serial(async () => {
      const at = new Date(this.now()).toISOString();
      const stateMount = this.stateMountpoint(facts);
      const seen = new Set<string>();
      for (const f of facts) {
        const id = diskIdOf(f.identity);
        if (seen.has(id)) continue; // two nodes for one disk (multipath): the first wins
        seen.add(id);
        const old = this.db.get(id) ?? null;
        const system = this.systemReason(f, stateMount);
        const role: DiskRole = system ? 'system' : old && old.role !== 'system' ? old.role : 'unassigned';
        const roleDetail = system ?? (old && old.role !== 'system' ? old.roleDetail : null);
        const next: DiskRecord = {
          id, identity: f.identity, wwn: f.wwn, serial: f.serial, model: f.model, vendor: f.vendor, firmware: f.firmware,
          sizeBytes: f.sizeBytes, rotational: f.rotational, transport: f.transport, name: f.name, devicePath: f.devicePath,
          byPath: f.byPath, backingFile: f.backingFile, fsType: f.fsType, partitions: f.partitions, mountpoints: f.mountpoints,
          role, roleDetail, present: true, archived: false,
          firstSeen: old?.firstSeen ?? at, lastSeen: at, health: old?.health ?? UNKNOWN_HEALTH,
        };
        if (!old || !old.present) {
          await this.db.put(id, next);
          this.bus.emit('disk.added', next);
        } else if (differs(old, next)) {
          await this.db.put(id, next);
          this.bus.emit('disk.changed', next);
        } else {
          await this.db.put(id, { ...old, lastSeen: at });
        }
      }
      for (const { key, value: d } of this.db.getRange()) {
        if (!d.present || seen.has(key)) continue;
        const gone: DiskRecord = { ...d, present: false, archived: true, name: null, devicePath: null, partitions: d.partitions.map((p) => ({ ...p, mountpoints: [] })), mountpoints: [] };
        await this.db.put(key, gone);
        this.bus.emit('disk.removed', gone);
      }
    });
  }

  /** Records a new health assessment (from the SMART service); emits disk.changed when more than its time differs. */
  setHealth(id: string, health: DiskHealth): Promise<DiskRecord | null> {
    return this.serial(async () => {
      const d = this.db.get(id);
      if (!d) return null;
      const next = { ...d, health };
      // A reading that changed nothing but its time is stored quietly (smart.updated tells of it).
      const same = JSON.stringify({ ...d.health, checkedAt: null }) === JSON.stringify({ ...health, checkedAt: null });
      await this.db.put(id, next);
      if (!same) this.bus.emit('disk.changed', next);
      return next;
    });
  }

  claim(id: string, role: 'pool-member' | 'spare', owner: string): Promise<DiskRecord> {
    return this.serial(async () => {
      const d = this.get(id);
      if (d.role === 'system') throw new HavenError('DISK_IS_SYSTEM', { id, detail: d.roleDetail ?? 'system', role });
      if ((d.role === 'pool-member' || d.role === 'spare') && d.roleDetail !== owner) {
        throw new HavenError('DISK_ROLE_TAKEN', { id, role: d.role, owner: d.roleDetail ?? '?' });
      }
      const next: DiskRecord = { ...d, role, roleDetail: owner };
      await this.db.put(id, next);
      this.bus.emit('disk.changed', next);
      return next;
    });
  }

  release(id: string, owner: string): Promise<DiskRecord> {
    return this.serial(async () => {
      const d = this.get(id);
      if (d.role === 'system' || d.roleDetail !== owner) return d;
      const next: DiskRecord = { ...d, role: 'unassigned', roleDetail: null };
      await this.db.put(id, next);
      this.bus.emit('disk.changed', next);
      return next;
    });
  }

  /** Forgets a missing disk (its history goes with it: the caller purges that). */
  purge(id: string): Promise<DiskRecord> {
    return this.serial(async () => {
      const d = this.get(id);
      if (d.present) throw new HavenError('DISK_PRESENT', { id });
      await this.db.remove(id);
      this.bus.emit('disk.removed', { ...d, purged: true });
      return d;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The mount point that holds the state directory (longest matching prefix). */
  private stateMountpoint(facts: DiskFacts[]): string | null {
    let best: string | null = null;
    const all = facts.flatMap((f) => [...f.mountpoints, ...f.partitions.flatMap((p) => p.mountpoints)]);
    for (const mp of all) {
      const prefix = mp.endsWith('/') ? mp : `${mp}/`;
      if ((this.stateDir === mp || this.stateDir.startsWith(prefix)) && (best === null || mp.length > best.length)) best = mp;
    }
    return best;
  }

  private systemReason(f: DiskFacts, stateMount: string | null): string | null {
    const mounts = [...f.mountpoints, ...f.partitions.flatMap((p) => p.mountpoints)];
    const sys = mounts.find((m) => SYSTEM_MOUNTS.includes(m));
    if (sys) return sys === '[SWAP]' ? 'holds swap' : `holds ${sys}`;
    if (stateMount && mounts.includes(stateMount)) return `holds the state directory (${stateMount})`;
    return null;
  }
}

function differs(a: DiskRecord, b: DiskRecord): boolean {
  const strip = (d: DiskRecord): string => JSON.stringify({ ...d, lastSeen: '', firstSeen: '' });
  return strip(a) !== strip(b);
}
