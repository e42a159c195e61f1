// Which disk may take the old one's place, the guard rails of the insert-new step: present,
// not the system's, not a member of any pool (the old disk included), not another pool's
// spare, at least as large as the old one, confirmed by the technician with the end of its
// serial, and (the wipe executor's own check of the kernel's state) not in use.

import type { DiskRecord } from '../../../../core/src/api/disks.js';
import type { ConfirmSwapRequest } from '../../../../core/src/api/swap.js';
import { HavenError } from '../../../../core/src/errors.js';
import type { DiskDirectory } from '../../disks/inventory.js';
import { confirmTarget, matchesCode } from '../confirm-code.js';
import type { WipeExecutor } from '../wipe-executor.js';
import type { SwapRecord } from './swap-machine.js';

export interface NewDiskDeps {
  disks: DiskDirectory;
  wipe: WipeExecutor;
}

/** Disks that may take the old one's place: present, unclaimed, large enough, not in use. */
export function candidates(deps: NewDiskDeps, r: SwapRecord): DiskRecord[] {
  return deps.disks.list({ archived: false }).filter((d) => {
    if (!d.present || !d.devicePath || d.id === r.old.diskId || d.sizeBytes < r.old.sizeBytes) return false;
    if (d.role === 'system' || d.role === 'pool-member' || (d.role === 'spare' && d.roleDetail !== r.pool)) return false;
    try {
      deps.wipe.check(d.devicePath);
      return true;
    } catch {
      return false; // in use: not offered (asked for by name, it is refused with the reason)
    }
  });
}

/** The candidate the technician's code (and disk, if named) picks, or why none is allowed. */
export function chooseNewDisk(deps: NewDiskDeps, r: SwapRecord, req: ConfirmSwapRequest): DiskRecord {
  if (req.disk !== undefined) {
    const d = deps.disks.get(req.disk);
    if (!d.present || !d.devicePath) throw new HavenError('DISK_NOT_PRESENT', { id: d.id });
    if (d.role === 'system') throw new HavenError('DISK_IS_SYSTEM', { id: d.id, detail: d.roleDetail ?? 'system', role: 'pool-member' });
    if (d.role === 'pool-member' || d.id === r.old.diskId) throw new HavenError('DISK_IS_POOL_MEMBER', { id: d.id, pool: d.roleDetail ?? r.pool });
    if (d.role === 'spare' && d.roleDetail !== r.pool) throw new HavenError('DISK_ROLE_TAKEN', { id: d.id, role: d.role, owner: d.roleDetail ?? '?' });
    if (d.sizeBytes < r.old.sizeBytes) throw new HavenError('DISK_TOO_SMALL', { id: d.id, size: d.sizeBytes, needed: r.old.sizeBytes });
    if (!matchesCode(d, req.code)) throw new HavenError('WIPE_NOT_CONFIRMED', { id: d.id, what: confirmTarget(d).what });
    deps.wipe.check(d.devicePath);
    return d;
  }
  const matching = candidates(deps, r).filter((d) => matchesCode(d, req.code));
  if (matching.length === 0) throw new HavenError('WIPE_NOT_CONFIRMED', { id: 'any new disk', what: 'serial (no new disk ends in these characters)' });
  if (matching.length > 1) throw new HavenError('SWAP_CODE_AMBIGUOUS', { code: req.code, count: matching.length });
  return matching[0] as DiskRecord;
}
