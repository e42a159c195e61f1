// The technician proves they hold the right disk by typing the last four characters of its
// serial, as printed on the label. Disks without a serial (loop devices, some virtual disks)
// have no label to read; for them the code is the end of the disk id the screen shows.

import type { DiskRecord } from '../../../core/src/api/disks.js';

export interface ConfirmTarget {
  what: 'serial' | 'disk id';
  value: string;
}

export function confirmTarget(d: Pick<DiskRecord, 'id' | 'serial'>): ConfirmTarget {
  const serial = d.serial?.replace(/\s+/g, '') ?? '';
  return serial.length > 0 ? { what: 'serial', value: serial } : { what: 'disk id', value: d.id };
}

/** Case-insensitive; whitespace ignored. */
export function matchesCode(d: Pick<DiskRecord, 'id' | 'serial'>, code: string): boolean {
  const want = confirmTarget(d).value.slice(-4).toUpperCase();
  return want.length > 0 && code.replace(/\s+/g, '').toUpperCase() === want;
}
