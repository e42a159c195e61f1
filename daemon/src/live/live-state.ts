// The full state a live client receives when it connects, read from the areas that own each
// part. It is taken synchronously (the hub's contract), so slow parts (the pool's status) come
// from their latest announced value.

import { LIVE_TASKS, type LiveState } from '../../../core/src/api/live.js';
import type { Catalog } from '../backup/catalog.js';
import type { DatastoreUsageMonitor } from '../backup/datastore-usage.js';
import type { Sessions } from '../backup/sessions.js';
import type { Clock } from '../clock.js';
import type { DiskDirectory } from '../disks/inventory.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import type { SwapService } from '../pool/swap/swap-service.js';
import { VERSION } from '../../../core/src/version.js';
import type { LatestValue } from './latest-value.js';

export interface LiveStateSources {
  clock: Pick<Clock, 'now'>;
  usage: Pick<DatastoreUsageMonitor, 'get'>;
  catalog: Pick<Catalog, 'groups'>;
  sessions: Pick<Sessions, 'openSessions'>;
  disks: Pick<DiskDirectory, 'list'>;
  alerts: Pick<AlertCenter, 'list'>;
  tasks: Pick<TaskRegistry, 'list'>;
  pool: Pick<LatestValue<'pool.changed'>, 'get'>;
  swaps: Pick<SwapService, 'activeInfo'>;
}

export function liveState(s: LiveStateSources): () => LiveState {
  return () => ({
    version: VERSION, time: new Date(s.clock.now()).toISOString(), datastore: s.usage.get(), groups: s.catalog.groups(),
    sessions: s.sessions.openSessions(), disks: s.disks.list(), alerts: s.alerts.list(), tasks: s.tasks.list({ limit: LIVE_TASKS }),
    pool: s.pool.get(), swap: s.swaps.activeInfo(),
  });
}
