// The backup area: sessions, the snapshot catalogue and trees, snapshot sizes and datastore
// usage, the free-space reserve that admits uploads, and their metrics. It owns the idle-session
// expiry (a session nobody has touched for `limits.sessionIdleSeconds` is aborted, which
// releases its pins) and the reserve's periodic reading, which notices space given back while
// no upload runs (the alert clears, the dashboard says uploads are accepted again).

import type { Logger } from 'pino';
import { Catalog } from '../backup/catalog.js';
import { DatastoreUsageMonitor } from '../backup/datastore-usage.js';
import { Sessions } from '../backup/sessions.js';
import { SnapshotSizes } from '../backup/snapshot-sizes.js';
import { TreeReader } from '../backup/tree-reader.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import { DatastoreMeter } from '../metrics/datastore-metrics.js';
import { IngestMeter } from '../metrics/ingest-metrics.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { StateDb } from '../state/state-db.js';
import type { Datastore } from '../store/datastore.js';
import { SpaceReserve } from '../store/space-reserve.js';
import { repeat, type Repeating } from './repeat.js';

/** How often idle sessions are looked for (the idle limit itself is configured, in seconds). */
const EXPIRY_EVERY_MS = 60_000;
/** How often free space is read while nothing uploads (uploads read it at most every second). */
const RESERVE_CHECK_MS = 5_000;

export interface BackupAreaDeps {
  datastore: Datastore;
  state: StateDb;
  bus: EventBus;
  metrics: MetricsRegistry;
  sessionIdleSeconds: number;
  /** Free bytes below which uploads are refused (effectiveReserveBytes of the config). */
  reserveBytes: number;
  clock: Clock;
  log: Logger;
}

export function backupArea(deps: BackupAreaDeps) {
  const { datastore, bus, clock, log } = deps;
  const sessions = new Sessions(datastore, bus, { idleSeconds: deps.sessionIdleSeconds, now: () => clock.now() });
  const catalog = new Catalog(datastore.catalog, bus);
  const trees = new TreeReader(datastore.objects);
  // Sizes and usage need each other: usage reads the sizes' totals, and sizes say when a total
  // changed. The link is set right after usage exists; sizes call it only once started.
  let sizesChanged = (): void => {};
  const sizes = new SnapshotSizes(datastore.catalog, trees, bus, deps.state, () => sizesChanged(), log);
  const reserve = new SpaceReserve({
    root: () => datastore.usage.root, reserveBytes: deps.reserveBytes, now: () => clock.now(),
    onListenerError: (err) => log.error({ err }, 'a free-space reserve listener failed'),
  });
  const usage = new DatastoreUsageMonitor(datastore.usage, sizes, bus, reserve);
  sizesChanged = () => usage.schedule();
  const ingest = new IngestMeter(bus, () => sessions.openSessions().length, sessions.hasLatency);
  const datastoreMeter = new DatastoreMeter({ store: datastore.usage, catalog, sizes, reserve });
  const unregister: Array<() => void> = [];
  let expiry: Repeating | null = null;
  let spaceCheck: Repeating | null = null;
  const readSpace = (): Promise<unknown> => reserve.refresh();
  const spaceReadFailed = (err: unknown): void => log.warn({ err }, 'reading the datastore\'s free space failed');

  return {
    name: 'backup',
    sessions, catalog, trees, sizes, usage, reserve,
    async start(): Promise<void> {
      // Before anything reports usage: the figures and the refusal state start true.
      await readSpace().catch(spaceReadFailed);
      ingest.start();
      unregister.push(
        deps.metrics.register('ingest', () => ingest.collect()),
        deps.metrics.register('datastore', () => datastoreMeter.collect()),
      );
      expiry = repeat(clock, EXPIRY_EVERY_MS, () => sessions.expireIdle(), (err) => log.warn({ err }, 'session expiry failed'));
      spaceCheck = repeat(clock, RESERVE_CHECK_MS, readSpace, spaceReadFailed);
      sizes.start();
      usage.start();
    },
    async stop(): Promise<void> {
      usage.stop();
      await sizes.stop();
      await expiry?.stop();
      await spaceCheck?.stop();
      for (const u of unregister.splice(0)) u();
      ingest.stop();
    },
  };
}
