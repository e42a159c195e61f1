// A disk's pool role declared after the fact: once btrfs has taken a disk in (or let one go),
// the inventory is told. If the inventory refuses, the pool operation has already happened
// and must not be failed or undone for it, but the refusal must not pass silently either:
// the inventory then says something false about a disk (a member shown as unassigned and
// offered as a new disk, a replaced disk still marked as a member and refused for reuse).
// So it is logged and raised as an alert, which a later successful claim or release of the
// same disk clears.

import type { Logger } from 'pino';
import type { DiskDirectory } from '../disks/inventory.js';
import type { AlertCenter } from '../jobs/alerts.js';

export class DiskRoles {
  constructor(private readonly disks: DiskDirectory, private readonly alerts: AlertCenter, private readonly log: Logger) {}

  /** Marks the disk a member of pool `owner`; `why` says what made it one. False when refused (reported). */
  async claimMember(diskId: string, owner: string, why: string): Promise<boolean> {
    try {
      await this.disks.claim(diskId, 'pool-member', owner);
    } catch (err) {
      this.report(diskId, err, `should now be marked a member of pool ${owner} (${why})`);
      return false;
    }
    this.alerts.clear(keyOf(diskId));
    return true;
  }

  /** Gives the disk's role in pool `owner` back; `why` says why it left. False when refused (reported). */
  async release(diskId: string, owner: string, why: string): Promise<boolean> {
    try {
      await this.disks.release(diskId, owner);
    } catch (err) {
      this.report(diskId, err, `should no longer belong to pool ${owner} (${why})`);
      return false;
    }
    this.alerts.clear(keyOf(diskId));
    return true;
  }

  private report(diskId: string, err: unknown, what: string): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.log.error({ err, disk: diskId }, `disk role not recorded: ${what}`);
    this.alerts.raise(keyOf(diskId), {
      severity: 'warning', subject: `disk ${diskId}`,
      message: `Disk ${diskId} ${what}, but the disk inventory refused: ${reason}. The disk list shows a role the pool does not agree with until this is resolved.`,
    });
  }
}

function keyOf(diskId: string): string {
  return `disk.role:${diskId}`;
}
