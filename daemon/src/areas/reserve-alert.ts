// The alert while client uploads are refused for lack of space (issue 13): raised when the
// free-space reserve starts refusing them, cleared when they fit again (after prune and GC, or
// any other space given back), with no step by anyone. It starts after the jobs area (alerts)
// and takes the reserve's state as it is then, so an alert left open by the previous run of
// the daemon is cleared if the datastore has room now.

import { size } from '../../../core/src/text/size.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { ReserveStatus, SpaceReserve } from '../store/space-reserve.js';

export interface ReserveAlertDeps {
  reserve: Pick<SpaceReserve, 'status' | 'onChange'>;
  alerts: Pick<AlertCenter, 'raise' | 'clear'>;
  datastoreId: string;
}

export function reserveAlertKey(datastoreId: string): string {
  return `datastore.full:${datastoreId}`;
}

export function reserveAlertArea(deps: ReserveAlertDeps) {
  const key = reserveAlertKey(deps.datastoreId);
  const follow = (s: ReserveStatus): void => {
    if (!s.uploadsRefused) return deps.alerts.clear(key);
    deps.alerts.raise(key, {
      severity: 'critical',
      subject: 'datastore',
      message: `Backups are refused: ${size(s.freeBytes)} free, below the ${size(s.reserveBytes)} kept for prune and `
        + 'garbage collection. Prune snapshots (havend prune) and collect garbage (havend gc); uploads resume by themselves.',
      // Less free space is worse (an acknowledged alert is raised again), more is not.
      evidence: { bytesBelowReserve: Math.max(0, s.reserveBytes - s.freeBytes) },
    });
  };
  let unsubscribe = (): void => {};
  return {
    name: 'reserve-alert',
    start(): void {
      unsubscribe = deps.reserve.onChange(follow);
      follow(deps.reserve.status());
    },
    stop(): void {
      unsubscribe();
    },
  };
}
