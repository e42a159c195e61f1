// The alert while a group's newest snapshot is a backup that reported warnings (files skipped
// as unreadable, or changed while they were read): that copy may not hold the source whole,
// and the client's exit status 3 reaches nobody when a timer runs it at night. Judged by the
// group's newest snapshot, whatever order snapshots arrive in (an offsite backfills older ones
// after newer), so the next clean backup resolves it with no step by anyone, and so does
// deleting the snapshot that raised it.
//
// Raised only once the newest snapshot has had warnings for `delayMs`: with continuous
// protection a file that changed while it was read is read again by the snapshot its own write
// schedules seconds later, and an alert raised and resolved for each would notify twice each
// time. Evidence holds no count: an acknowledged alert stays acknowledged while each night's
// warnings come and go, until a clean backup clears it.

import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { Catalog } from '../backup/catalog.js';
import type { EventBus } from '../events.js';
import type { AlertCenter } from '../jobs/alerts.js';

export interface BackupWarningsAlertDeps {
  catalog: Pick<Catalog, 'groups' | 'latest'>;
  alerts: Pick<AlertCenter, 'raise' | 'clear' | 'list'>;
  bus: EventBus;
  /** How long the newest snapshot must have had warnings before the alert (jobs.warningsAlertDelaySeconds). */
  delayMs: number;
}

const KIND = 'backup.warnings';

export function backupWarningsAlertKey(group: string): string {
  return `${KIND}:${group}`;
}

export function backupWarningsAlertArea(deps: BackupWarningsAlertDeps) {
  /** A look again at a group whose newest snapshot warned too recently to raise. */
  const later = new Map<string, NodeJS.Timeout>();
  const follow = (group: string, newest: SnapshotSummary | null): void => {
    const key = backupWarningsAlertKey(group);
    clearTimeout(later.get(group));
    later.delete(group);
    const warnings = newest?.stats.warnings ?? 0;
    if (newest === null || warnings === 0) return deps.alerts.clear(key);
    // at most the delay: a clock set back since the commit must not put the alert off further
    const wait = Math.min(deps.delayMs, Date.parse(newest.time) + deps.delayMs - Date.now());
    if (wait > 0) {
      later.set(group, setTimeout(() => followGroup(group), wait).unref());
      return;
    }
    deps.alerts.raise(key, {
      severity: 'warning',
      subject: `group ${group}`,
      group,
      message: `The newest backup (snapshot ${newest.id.slice(0, 12)} of ${newest.time}) reported ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}, `
        + 'such as files it skipped or that changed while they were read, which it may not hold as they are. The snapshot\'s page '
        + `(or haven snapshots ${newest.id.slice(0, 12)}) names them. Resolved by the next backup without warnings.`,
    });
  };
  const followGroup = (group: string): void => follow(group, deps.catalog.latest(group));
  const owner = {};
  return {
    name: 'backup-warnings-alert',
    start(): void {
      deps.bus.on(owner, 'snapshot.committed', (s) => followGroup(s.group));
      deps.bus.on(owner, 'snapshot.deleted', (d) => followGroup(d.group));
      // as things are now: the daemon may have stopped between a backup and its alert, or a
      // group may have gone since its alert was raised
      const groups = deps.catalog.groups();
      for (const g of groups) follow(g.name, g.latest);
      const known = new Set(groups.map((g) => g.name));
      for (const a of deps.alerts.list()) {
        if (a.key.startsWith(`${KIND}:`) && !known.has(a.key.slice(KIND.length + 1))) deps.alerts.clear(a.key);
      }
    },
    stop(): void {
      deps.bus.removeListeners(owner);
      for (const timer of later.values()) clearTimeout(timer);
      later.clear();
    },
  };
}
