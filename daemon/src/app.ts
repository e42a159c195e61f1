// The composition root: builds every part once, wires them, starts and stops them in order.
// Nothing else constructs services; parts receive only the interfaces they use.

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Catalog } from './backup/catalog.js';
import { Sessions } from './backup/sessions.js';
import { TreeReader } from './backup/tree-reader.js';
import { TokenStore } from './auth/tokens.js';
import { parseListen, type LoadedConfig } from './config/load.js';
import { EventBus } from './events.js';
import { bearerToken } from './http/auth-hook.js';
import { routeTable } from './http/route-table.js';
import { backupRoutes } from './http/routes/backups.js';
import { healthRoutes } from './http/routes/health.js';
import { snapshotRoutes } from './http/routes/snapshots.js';
import { tokenRoutes } from './http/routes/tokens.js';
import { LocalSocket, socketPath } from './http/local-socket.js';
import { buildServer } from './http/server.js';
import { claimPidFile } from './pidfile.js';
import { openStateDb, type StateDb } from './state/state-db.js';
import { ChunkStore } from './store/chunk-store.js';
import { VERSION } from './version.js';
import { SystemCommandRunner } from './exec/runner.js';
import { AlertCenter } from './jobs/alerts.js';
import { Scheduler } from './jobs/scheduler.js';
import { TaskRegistry } from './jobs/tasks.js';
import { createDisks } from './disks/disks-area.js';
import type { Inventory } from './disks/inventory.js';
import { diskRoutes } from './http/routes/disks.js';
import { alertRoutes, taskRoutes } from './http/routes/jobs.js';
import { createVerifyPool, type VerifyPool } from './workers/verify-pool.js';

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
  close(): Promise<void>;
}

const MAX_OBJECTS_PER_REQUEST = 4096;

export async function startApp(loaded: LoadedConfig, log: Logger): Promise<RunningApp> {
  const { config } = loaded;
  const dataDir = config.dataDir;
  mkdirSync(dataDir, { recursive: true, mode: 0o750 });
  const releasePid = claimPidFile(dataDir);
  const cleanups: Array<() => Promise<void> | void> = [releasePid];
  const close = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        log.error({ err }, 'shutdown step failed');
      }
    }
  };
  try {
    const state = openStateDb(dataDir);
    cleanups.push(() => state.close());
    const store = await ChunkStore.open(loaded.datastorePath, { create: true, segmentMaxBytes: config.datastore.segmentMaxBytes });
    cleanups.push(() => store.close());
    const r = store.recovery;
    if (r.recoveredRecords > 0 || r.truncatedBytes > 0 || r.notes.length > 0) {
      log.warn({ recovery: r }, `recovered ${r.recoveredRecords} record(s), cut ${r.truncatedBytes} torn byte(s)`);
    }
    const pool: VerifyPool = createVerifyPool(config.workers.verifyThreads);
    cleanups.push(() => pool.close());

    const bus = new EventBus((err, name) => log.error({ err, event: name }, 'event listener failed'));
    const sessions = new Sessions(store, bus, { idleSeconds: config.limits.sessionIdleSeconds });
    const catalog = new Catalog(store, bus);
    const trees = new TreeReader(store);
    const tokens = new TokenStore(state);
    let ready = false;

    // jobs: tasks, alerts and the scheduler that other areas hang their work on
    const runner = new SystemCommandRunner();
    const tasks = new TaskRegistry(state, bus);
    await tasks.start();
    cleanups.push(() => tasks.stop());
    const alerts = new AlertCenter(state, bus);
    const scheduler = new Scheduler(log);
    cleanups.push(() => scheduler.stop());

    // disks: inventory kept in step with the machine, SMART health, self-tests
    const disks = createDisks({ config: config.disks, stateDir: resolve(dataDir), state, bus, runner, tasks, alerts, scheduler, log });
    const { inventory } = disks;

    const handlers = {
      health: healthRoutes({ version: VERSION, datastoreId: store.identity.id, ready: () => ready }),
      backups: backupRoutes({
        store, sessions, catalog, pool, bus,
        chunker: store.identity.chunker,
        limits: config.limits,
        ingest: { batchBytes: config.workers.batchBytes, syncEveryBytes: config.datastore.syncEveryBytes },
      }),
      snapshots: snapshotRoutes({ store, catalog, trees, maxObjectsPerRequest: MAX_OBJECTS_PER_REQUEST }),
      tokens: tokenRoutes(tokens),
      disks: diskRoutes(disks),
      tasks: taskRoutes(tasks),
      alerts: alertRoutes(alerts),
    };
    const localSocket = new LocalSocket();
    const server = await buildServer({
      logger: log,
      maxJsonBodyBytes: config.limits.maxJsonBodyBytes,
      resolvers: [
        localSocket.resolver,
        (req) => {
          const t = bearerToken(req);
          return t ? tokens.verify(t) : null;
        },
      ],
      routes: routeTable(handlers, { maxHasDigests: config.limits.maxHasDigests, maxObjectsPerRequest: MAX_OBJECTS_PER_REQUEST }),
    });
    // Closing the server first stops new requests while the store is still open.
    cleanups.push(async () => {
      ready = false;
      await server.close();
    });

    const expiry = setInterval(() => sessions.expireIdle(), 60_000);
    expiry.unref();
    cleanups.push(() => clearInterval(expiry));

    if (disks.enabled) {
      await disks.start();
      cleanups.push(() => disks.stop());
    }

    await localSocket.listen(server, socketPath(dataDir));
    cleanups.push(() => localSocket.close());

    const { host, port } = parseListen(config.listen);
    await server.listen({ host, port });
    const address = server.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
    ready = true;
    return { server, url, store, bus, state, inventory, tasks, alerts, scheduler, close };
  } catch (err) {
    await close();
    throw err;
  }
}
