// The composition root: builds every part once, wires them, starts and stops them in order.
// Nothing else constructs services; parts receive only the interfaces they use.

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AccountStore } from './accounts/accounts.js';
import { AttemptLimiter } from './accounts/attempt-limiter.js';
import { SetupCode } from './accounts/setup-code.js';
import { WebSessions } from './accounts/web-sessions.js';
import { Catalog } from './backup/catalog.js';
import { DatastoreUsageMonitor } from './backup/datastore-usage.js';
import { SnapshotSizes } from './backup/snapshot-sizes.js';
import { Sessions } from './backup/sessions.js';
import { TreeReader } from './backup/tree-reader.js';
import { TokenStore } from './auth/tokens.js';
import { parseListen, type LoadedConfig } from './config/load.js';
import { EventBus } from './events.js';
import { bearerToken } from './http/auth-hook.js';
import { routeTable } from './http/route-table.js';
import { archiveRoutes } from './http/routes/archive.js';
import { authRoutes } from './http/routes/auth.js';
import { liveRoutes } from './http/routes/live.js';
import { uiRoutes } from './http/routes/ui-static.js';
import { sessionResolver } from './http/session-auth.js';
import { LiveHub, liveSocketPlugin } from './live/live-hub.js';
import { LIVE_TASKS } from '../../core/src/api/live.js';
import { LatestValue } from './live/latest-value.js';
import { backupRoutes } from './http/routes/backups.js';
import { healthRoutes } from './http/routes/health.js';
import { snapshotRoutes } from './http/routes/snapshots.js';
import { tokenRoutes } from './http/routes/tokens.js';
import { LocalSocket, socketPath } from './http/local-socket.js';
import { buildServer } from './http/server.js';
import { claimPidFile } from './pidfile.js';
import { openStateDb, type StateDb } from './state/state-db.js';
import { ChunkStore } from './store/chunk-store.js';
import { VERSION } from '../../core/src/version.js';
import { SystemCommandRunner } from '../../core/src/exec/runner.js';
import { AlertCenter } from './jobs/alerts.js';
import { Scheduler } from './jobs/scheduler.js';
import { TaskRegistry } from './jobs/tasks.js';
import { createDisks } from './disks/disks-area.js';
import type { Inventory } from './disks/inventory.js';
import { diskRoutes } from './http/routes/disks.js';
import { poolRoutes } from './http/routes/pool.js';
import { swapRoutes } from './http/routes/swaps.js';
import { bootPool, createPoolArea } from './pool/pool-area.js';
import { poolFamilies } from './pool/pool-metrics.js';
import { alertRoutes, taskRoutes } from './http/routes/jobs.js';
import { createVerifyPool, type VerifyPool } from './workers/verify-pool.js';
import { boundUrl, isLoopbackHost, reachableUrls } from './http/listen-address.js';
import { systemRoutes } from './http/routes/system.js';
import { closeServerGracefully } from './http/graceful-close.js';
import { shutdownGate } from './http/shutdown-gate.js';
import { DatastoreMeter } from './metrics/datastore-metrics.js';
import { IngestMeter } from './metrics/ingest-metrics.js';
import { MetricsRegistry, gauge } from './metrics/registry.js';
import { TASK_SCAN_LIMIT, alertFamilies, diskFamilies, taskFamilies } from './metrics/operations-metrics.js';
import { ensureCertificate, tlsDir, type TlsMaterial } from './tls/certificate.js';

export interface RunningApp {
  server: FastifyInstance;
  url: string;
  store: ChunkStore;
  bus: EventBus;
  state: StateDb;
  inventory: Inventory;
  tasks: TaskRegistry;
  alerts: AlertCenter;
  scheduler: Scheduler;
  /** The certificate served; null on loopback (plain HTTP). */
  tls: TlsMaterial | null;
  /** URLs people can use (the machine's addresses for a wildcard listener). */
  urls: string[];
  metrics: MetricsRegistry;
  /** Graceful shutdown: refuses new requests, ends upload streams cleanly, lets commits finish, flushes LMDB. */
  /** The one-time code that creates the first admin; null once an admin exists. */
  setupCode: string | null;
  close(): Promise<void>;
}

const MAX_OBJECTS_PER_REQUEST = 4096;
/** The built UI (vite build output), relative to dist/daemon/src/app.js. */
const UI_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));
const LOGIN_WINDOW_MS = 15 * 60_000;

export async function startApp(loaded: LoadedConfig, log: Logger): Promise<RunningApp> {
  const { config } = loaded;
  const dataDir = config.dataDir;
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  const releasePid = claimPidFile(dataDir);
  const cleanups: Array<() => Promise<void> | void> = [releasePid];
  const shutdown = new AbortController();
  const close = async (): Promise<void> => {
    shutdown.abort();
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        log.error({ err }, 'shutdown step failed');
      }
    }
  };
  try {
    const runner = new SystemCommandRunner();
    const { host, port } = parseListen(config.listen);
    // Loopback means plain HTTP; any other address HTTPS with the appliance's own certificate.
    const tls = isLoopbackHost(host) ? null : await ensureCertificate(tlsDir(dataDir), runner);
    const state = openStateDb(dataDir);
    cleanups.push(() => state.close());
    // A configured pool is mounted before the datastore opens: the datastore lives on it.
    const poolBoot = await bootPool({ state, runner, config: config.pool, dataDir, log });
    cleanups.push(() => poolBoot.stop());
    const store = await ChunkStore.open(poolBoot.datastorePath(loaded), { create: true, segmentMaxBytes: config.datastore.segmentMaxBytes, directIo: config.datastore.directIo });
    cleanups.push(() => store.close());
    const r = store.recovery;
    if (r.recoveredRecords > 0 || r.truncatedBytes > 0 || r.notes.length > 0) {
      log.warn({ recovery: r }, `recovered ${r.recoveredRecords} record(s), cut ${r.truncatedBytes} torn byte(s)`);
    }
    const pool: VerifyPool = createVerifyPool({ threads: config.workers.verifyThreads, arenaBytes: config.workers.batchBytes });
    cleanups.push(() => pool.close());

    const bus = new EventBus((err, name) => log.error({ err, event: name }, 'event listener failed'));
    const sessions = new Sessions(store, bus, { idleSeconds: config.limits.sessionIdleSeconds });
    const catalog = new Catalog(store, bus);
    const trees = new TreeReader(store);
    const tokens = new TokenStore(state);
    const accounts = new AccountStore(state);
    const webSessions = new WebSessions(state);
    const setupCode = new SetupCode(dataDir);
    const setupCodeValue = setupCode.open(accounts.any());
    const sizes = new SnapshotSizes(store, trees, bus, state, () => usage.schedule(), log);
    const usage = new DatastoreUsageMonitor(store, sizes, bus);
    const hub = new LiveHub({
      bus,
      state: () => ({
        version: VERSION, time: new Date().toISOString(), datastore: usage.get(), groups: catalog.groups(), sessions: sessions.openSessions(),
        disks: inventory.list(), alerts: alerts.list(), tasks: tasks.list({ limit: LIVE_TASKS }), pool: poolStatus.get(),
        swap: pools.swaps.activeInfo(),
      }),
      isSessionLive: (id) => webSessions.isLive(id),
      log,
    });
    let ready = false;
    let urls: string[] = [];

    const metrics = new MetricsRegistry(log);
    const ingestMeter = new IngestMeter(bus, () => sessions.openSessions().length);
    ingestMeter.start();
    cleanups.push(() => ingestMeter.stop());
    const datastoreMeter = new DatastoreMeter({ store, catalog, sizes });
    metrics.register('daemon', () => [gauge('haven_build_info', 'The running havend\'s version', [{ labels: { version: VERSION }, value: 1 }])]);
    metrics.register('ingest', () => ingestMeter.collect());
    metrics.register('datastore', () => datastoreMeter.collect());

    // jobs: tasks, alerts and the scheduler that other areas hang their work on
    const tasks = new TaskRegistry(state, bus);
    await tasks.start();
    cleanups.push(() => tasks.stop());
    const alerts = new AlertCenter(state, bus);
    const scheduler = new Scheduler(log);
    cleanups.push(() => scheduler.stop());

    // disks: inventory kept in step with the machine, SMART health, self-tests
    const disks = createDisks({ config: config.disks, stateDir: resolve(dataDir), state, bus, runner, tasks, alerts, scheduler, log });
    const { inventory } = disks;

    // the storage pool: status, create, scrub, members, alerts
    const pools = createPoolArea({
      boot: poolBoot, state, runner, config: config.pool, pinnedDatastore: config.datastore.path === '' ? null : loaded.datastorePath,
      stateDir: resolve(dataDir), bus, alerts, tasks, scheduler, disks: inventory, rescan: disks.rescan, store, log,
    });
    const poolStatus = new LatestValue(bus, 'pool.changed', () => pools.service.status(), log);
    await poolStatus.start();
    cleanups.push(() => poolStatus.stop());

    const handlers = {
      health: healthRoutes({ version: VERSION, datastoreId: store.identity.id, ready: () => ready }),
      backups: backupRoutes({
        store, sessions, catalog, pool, bus,
        chunker: store.identity.chunker,
        limits: config.limits,
        ingest: { syncEveryBytes: config.datastore.syncEveryBytes },
        shutdown: shutdown.signal,
      }),
      snapshots: snapshotRoutes({ store, catalog, trees, maxObjectsPerRequest: MAX_OBJECTS_PER_REQUEST }),
      tokens: tokenRoutes(tokens),
      disks: diskRoutes(disks),
      tasks: taskRoutes(tasks),
      alerts: alertRoutes(alerts),
      system: systemRoutes({ tls: () => tls, urls: () => urls, metrics }),
      auth: authRoutes({
        accounts, sessions: webSessions, setupCode,
        byAddress: new AttemptLimiter({ max: 20, windowMs: LOGIN_WINDOW_MS }),
        byAccount: new AttemptLimiter({ max: 5, windowMs: LOGIN_WINDOW_MS }),
        onSessionEnded: (id) => hub.closeSession(id),
        log: (msg, fields) => log.info(fields, msg),
      }),
      live: liveRoutes(hub),
      archive: archiveRoutes({ catalog, trees }),
      ui: uiRoutes(UI_DIR),
      pool: poolRoutes(pools),
      swaps: swapRoutes(pools.swaps),
    };
    const localSocket = new LocalSocket();
    const server = await buildServer({
      logger: log,
      maxJsonBodyBytes: config.limits.maxJsonBodyBytes,
      ...(tls ? { https: { key: tls.key, cert: tls.cert } } : {}),
      // The live socket only sends; a client message is never larger than a short note.
      plugins: [shutdownGate(shutdown.signal), liveSocketPlugin],
      resolvers: [
        localSocket.resolver,
        (req) => {
          const t = bearerToken(req);
          return t ? tokens.verify(t) : null;
        },
        sessionResolver(webSessions),
      ],
      routes: routeTable(handlers, { maxHasDigests: config.limits.maxHasDigests, maxObjectsPerRequest: MAX_OBJECTS_PER_REQUEST }),
    });
    // Closing the server first stops new requests while the store is still open.
    cleanups.push(async () => {
      ready = false;
      await closeServerGracefully(server, log);
    });

    const expiry = setInterval(() => sessions.expireIdle(), 60_000);
    expiry.unref();
    cleanups.push(() => clearInterval(expiry));
    const sweep = setInterval(() => void webSessions.sweep().catch((err: unknown) => log.warn({ err }, 'session sweep failed')), 3600_000);
    sweep.unref();
    cleanups.push(() => clearInterval(sweep));

    sizes.start();
    cleanups.push(() => sizes.stop());
    usage.start();
    cleanups.push(() => usage.stop());
    hub.start();
    cleanups.push(() => hub.stop());

    if (disks.enabled) {
      await disks.start();
      cleanups.push(() => disks.stop());
    }
    await pools.start();
    cleanups.push(() => pools.stop());

    await localSocket.listen(server, socketPath(dataDir));
    cleanups.push(() => localSocket.close());

    // Fastify would log http:// for a listener it did not create itself (ours when serving HTTPS).
    await server.listen({ host, port, listenTextResolver: (address) => `Server listening at ${tls ? address.replace(/^http:/, 'https:') : address}` });
    const address = server.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const url = boundUrl(host, boundPort);
    urls = reachableUrls(host, boundPort);
    ready = true;
    if (setupCodeValue !== null) log.info({ setupCode: setupCodeValue }, 'no admin account yet: open the UI and create one with the setup code');
    metrics.register('disks', () => diskFamilies(inventory.list()));
    metrics.register('jobs', () => [...taskFamilies(tasks.list({ limit: TASK_SCAN_LIMIT })), ...alertFamilies(alerts.list())]);
    metrics.register('pool', () => poolFamilies(pools.service.lastStatus));
    return { server, url, store, bus, state, inventory, tasks, alerts, scheduler, tls, urls, metrics, setupCode: setupCodeValue, close };
  } catch (err) {
    await close();
    throw err;
  }
}
