// How a swap is told to the technician and remembered: the disks as the record keeps them,
// what the confirmation code is checked against, and the words of the screen. Pure.

import type { DiskRecord } from '../../../../core/src/api/disks.js';
import type { PoolMember } from '../../../../core/src/api/pool.js';
import type { SwapDisk } from '../../../../core/src/api/swap.js';
import { confirmTarget } from '../confirm-code.js';
import type { SwapDiskRecord, SwapRecord } from './swap-machine.js';

export function now(): string {
  return new Date().toISOString();
}

export function reasonOf(m: PoolMember): SwapRecord['reason'] {
  if (m.missing) return 'missing';
  if (m.flags.includes('smart-failing') || m.flags.includes('smart-warning')) return 'smart';
  if (m.flags.includes('errors')) return 'pool-errors';
  return 'admin';
}

/** The member being replaced, as the record keeps it (the inventory may forget the disk). */
export function oldDisk(m: PoolMember, recordedSize: number): SwapDiskRecord {
  return { diskId: m.diskId, devid: m.devid, serial: m.serial, model: m.model, sizeBytes: m.sizeBytes || recordedSize, slot: m.slot };
}

/** What the code is checked against: the serial, else the disk id, else (a disk never known) its devid. */
export function codeSubject(d: SwapDiskRecord): { id: string; serial: string | null } {
  return { id: d.diskId ?? `devid${String(d.devid ?? 0).padStart(4, '0')}`, serial: d.serial };
}

export function describe(d: SwapDiskRecord): string {
  return [d.model, d.serial ? `serial ${d.serial}` : d.diskId ? `disk ${d.diskId}` : `devid ${d.devid}`].filter(Boolean).join(', ');
}

export function diskRecordOf(d: DiskRecord): SwapDiskRecord {
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

export function swapDisk(rec: SwapDiskRecord, d: DiskRecord | null): SwapDisk {
  const subject = codeSubject(rec);
  return {
    diskId: rec.diskId, devid: rec.devid, serial: rec.serial, model: rec.model, sizeBytes: rec.sizeBytes,
    slot: d?.byPath ?? rec.slot, devicePath: d?.present ? d.devicePath : null, present: d?.present ?? false,
    confirmWith: confirmTarget(subject).what, contents: contentsOf(d),
  };
}
