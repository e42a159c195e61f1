// How a disk is named and ordered for people: by its physical location (the slot, as far as
// the machine tells: /dev/disk/by-path or the sysfs path), never by its kernel name alone.

import type { DiskRecord } from '$core/api/disks.js';
import { formatBytes } from './format.js';

export function slotOf(d: DiskRecord): string {
  if (d.byPath) return d.byPath.replace(/^\/dev\/disk\/by-path\//, '').replace(/^\/sys\/devices\//, '');
  return d.devicePath ?? d.name ?? '—';
}

export function titleOf(d: DiskRecord): string {
  return [d.model ?? d.vendor ?? 'Disk', formatBytes(d.sizeBytes)].join(', ');
}

export function bySlot(a: DiskRecord, b: DiskRecord): number {
  return slotOf(a).localeCompare(slotOf(b), undefined, { numeric: true });
}

/** The reasons worth showing first: failing, then warning, then the rest. */
export function mainReason(d: DiskRecord): string {
  const rank = { failing: 0, warning: 1, unknown: 2, info: 3 } as const;
  const sorted = [...d.health.reasons].sort((a, b) => rank[a.severity] - rank[b.severity]);
  return sorted[0]?.message ?? '';
}
