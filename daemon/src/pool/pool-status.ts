// Composes the pool's status from what each source knows best: the kernel (sysfs devinfo:
// which devids are missing, error counters), btrfs-progs (device paths and sizes, usage,
// scrub), the pool record (which disk each devid was, when the disk is gone) and the
// inventory (serial, model, slot, SMART verdict). Pure: the service gathers the inputs.

import type { DiskRecord } from '../../../core/src/api/disks.js';
import type { DeviceErrors, MemberFlag, PoolHealth, PoolMember, PoolStatus } from '../../../core/src/api/pool.js';
import { totalErrors, type FilesystemShow, type FilesystemUsage, type ScrubStatus } from './btrfs-output.js';
import type { BtrfsDevinfo } from './kernel-view.js';
import type { PoolRecord } from './pool-record.js';
import { PROFILES } from './profiles.js';

export interface StatusInputs {
  record: PoolRecord;
  mountPath: string;
  datastorePath: string;
  mounted: boolean;
  degradedMount: boolean;
  shown: FilesystemShow | null;
  devinfo: BtrfsDevinfo[];
  usage: FilesystemUsage | null;
  scrub: ScrubStatus | null;
  disk: (id: string) => DiskRecord | null;
  diskAt: (devicePath: string) => DiskRecord | null;
  swap: { id: string; step: string } | null;
}

const NO_ERRORS: DeviceErrors = { write: 0, read: 0, flush: 0, corruption: 0, generation: 0 };

export function describeMember(m: Pick<PoolMember, 'devid' | 'serial' | 'model'>): string {
  const what = [m.model, m.serial ? `serial ${m.serial}` : null].filter(Boolean).join(', ');
  return `devid ${m.devid}${what ? ` (${what})` : ''}`;
}

function members(i: StatusInputs): PoolMember[] {
  const devids = new Set<number>([
    ...i.record.members.map((m) => m.devid),
    ...i.devinfo.map((d) => d.devid),
    ...(i.shown?.devices.map((d) => d.devid) ?? []),
  ]);
  devids.delete(0); // devid 0 is the target of a replace in progress, not a member yet
  return [...devids].sort((a, b) => a - b).map((devid) => {
    const info = i.devinfo.find((d) => d.devid === devid);
    const shown = i.shown?.devices.find((d) => d.devid === devid);
    const rec = i.record.members.find((m) => m.devid === devid);
    const missing = info?.missing ?? shown?.missing ?? false;
    const path = missing ? null : shown?.path ?? null;
    // The kernel's device path is the truth about which disk holds a devid now; the record
    // names the disk that is gone.
    const disk = (path ? i.diskAt(path) : null) ?? (rec?.diskId ? i.disk(rec.diskId) : null);
    const errors = info?.errors ?? NO_ERRORS;
    const flags: MemberFlag[] = [];
    if (missing) flags.push('missing');
    if (totalErrors(errors) > 0) flags.push('errors');
    if (disk?.health.verdict === 'failing') flags.push('smart-failing');
    if (disk?.health.verdict === 'warning') flags.push('smart-warning');
    return {
      devid,
      diskId: disk?.id ?? rec?.diskId ?? null,
      devicePath: path,
      serial: disk?.serial ?? rec?.serial ?? null,
      model: disk?.model ?? rec?.model ?? null,
      slot: disk?.byPath ?? null,
      sizeBytes: shown?.sizeBytes || rec?.sizeBytes || disk?.sizeBytes || 0,
      allocatedBytes: shown?.usedBytes ?? 0,
      missing,
      errors,
      flags,
    };
  });
}

export function composeStatus(i: StatusInputs): PoolStatus {
  const facts = PROFILES[i.record.profile];
  const list = i.mounted ? members(i) : members({ ...i, devinfo: [], shown: null });
  const missing = list.filter((m) => m.missing);
  const erring = list.filter((m) => !m.missing && totalErrors(m.errors) > 0);
  let health: PoolHealth;
  let summary: string;
  if (!i.mounted) {
    health = 'unavailable';
    summary = `Pool ${i.record.name} is not mounted.`;
  } else if (missing.length > 0) {
    health = 'degraded';
    const lost = missing.length > facts.tolerates;
    summary = `Pool ${i.record.name} is running degraded: ${missing.map(describeMember).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing. `
      + (lost
        ? `${i.record.profile} survives only ${facts.tolerates} missing; some data may have no copy left.`
        : `Every byte still has a copy on the other disks; replace the missing disk with the disk swap.`);
  } else if (erring.length > 0) {
    health = 'errors';
    summary = erring.map((m) => {
      const e = m.errors;
      const parts = Object.entries(e).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
      return `${describeMember(m)} counted errors (${parts.join(', ')})`;
    }).join('; ') + '. A scrub repairs from the other copies; replace the disk if the counts grow.';
  } else {
    health = 'healthy';
    const smart = list.filter((m) => m.flags.includes('smart-failing') || m.flags.includes('smart-warning'));
    summary = `All ${list.length} members present, no device errors counted.`
      + (smart.length > 0 ? ` SMART flags ${smart.map(describeMember).join(', ')}: replace ${smart.length === 1 ? 'it' : 'them'} with the disk swap before btrfs sees errors.` : '');
  }
  const u = i.usage;
  return {
    name: i.record.name,
    kind: 'btrfs',
    profile: i.record.profile,
    uuid: i.record.uuid,
    mountPath: i.mountPath,
    mounted: i.mounted,
    degradedMount: i.degradedMount,
    health,
    summary,
    datastorePath: i.datastorePath,
    minDevices: facts.minDevices,
    tolerates: facts.tolerates,
    usage: u && u.deviceSize !== null
      ? { deviceBytes: u.deviceSize, usedBytes: u.used ?? 0, freeBytes: u.freeEstimated ?? 0, dataRatio: u.dataRatio ?? 1 }
      : null,
    members: list,
    scrub: i.scrub
      ? { status: i.scrub.status, started: i.scrub.started, durationSeconds: i.scrub.durationSeconds, counters: i.scrub.counters }
      : null,
    swap: i.swap,
  };
}

/** The embedded default: the datastore in a directory of whatever filesystem holds it. */
export function directoryStatus(datastorePath: string, space: { deviceBytes: number; freeBytes: number } | null): PoolStatus {
  return {
    name: 'directory',
    kind: 'directory',
    profile: null,
    uuid: null,
    mountPath: datastorePath,
    mounted: true,
    degradedMount: false,
    health: 'healthy',
    summary: `The datastore is a directory (${datastorePath}); no redundancy beyond the disk that holds it.`,
    datastorePath,
    minDevices: 1,
    tolerates: 0,
    usage: space ? { deviceBytes: space.deviceBytes, usedBytes: space.deviceBytes - space.freeBytes, freeBytes: space.freeBytes, dataRatio: 1 } : null,
    members: [],
    scrub: null,
    swap: null,
  };
}
