// The backup area: sessions, the snapshot catalogue and trees, snapshot sizes and datastore
// usage, and their metrics. It owns the idle-session expiry: a session nobody has touched for
// `limits.sessionIdleSeconds` is aborted, which releases its pins.

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
import { repeat, type Repeating } from './repeat.js';

/** How often idle sessions are looked for (the idle limit itself is configured, in seconds). */
const EXPIRY_EVERY_MS = 60_000;

export interface BackupAreaDeps {
  datastore: Datastore;
  state: StateDb;
  bus: EventBus;
  metrics: MetricsRegistry;
  sessionIdleSeconds: number;
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
  const usage = new DatastoreUsageMonitor(datastore.usage, sizes, bus);
  sizesChanged = () => usage.schedule();
  const ingest = new IngestMeter(bus, () => sessions.openSessions().length);
  const datastoreMeter = new DatastoreMeter({ store: datastore.usage, catalog, sizes });
  const unregister: Array<() => void> = [];
  let expiry: Repeating | null = null;

  return {
    name: 'backup',
    sessions, catalog, trees, sizes, usage,
    start(): void {
      ingest.start();
      unregister.push(
        deps.metrics.register('ingest', () => ingest.collect()),
        deps.metrics.register('datastore', () => datastoreMeter.collect()),
      );
      expiry = repeat(clock, EXPIRY_EVERY_MS, () => sessions.expireIdle(), (err) => log.warn({ err }, 'session expiry failed'));
      sizes.start();
      usage.start();
    },
    async stop(): Promise<void> {
      usage.stop();
      await sizes.stop();
      await expiry?.stop();
      for (const u of unregister.splice(0)) u();
      ingest.stop();
    },
  };
}
