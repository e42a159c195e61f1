// The HTTP edge as one area: the live hub, the Fastify server with the route table, the
// root-only control socket and the network listener. It starts last (requests arrive only
// once every area they reach is running) and stops first: the shutdown signal refuses new
// requests and ends upload streams, the control socket closes, live sockets are told the
// daemon is stopping (1001), then the listener waits for running requests (a commit finishes)
// while the store and every other area are still open.

import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import { closeServerGracefully } from '../http/graceful-close.js';
import { boundUrl, reachableUrls } from '../http/listen-address.js';
import { LocalSocket, socketPath } from '../http/local-socket.js';
import { buildApiServer } from '../http/api-server.js';
import { LiveHub } from '../live/live-hub.js';
import { liveState } from '../live/live-state.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { Datastore } from '../store/datastore.js';
import type { TlsMaterial } from '../tls/certificate.js';
import { VERSION } from '../../../core/src/version.js';
import type { VerifyPool } from '../workers/verify-pool.js';
import type { accountsArea } from './accounts.js';
import type { backupArea } from './backup.js';
import type { disksArea } from './disks.js';
import type { gcArea } from './gc.js';
import type { verifyArea } from './verify.js';
import type { drillArea } from './drill.js';
import type { reportArea } from './report.js';
import type { jobsArea } from './jobs.js';
import type { poolArea } from './pool.js';
import type { notifyArea } from './notify.js';
import type { planArea } from './plan.js';
import type { retentionArea } from './retention.js';
import type { replicationArea } from './replication.js';

/** The built UI (vite build output), relative to dist/daemon/src/areas/http.js. */
const UI_DIR = fileURLToPath(new URL('../../../../ui/dist/', import.meta.url));

export interface HttpAreaDeps {
  config: Pick<Config, 'dataDir' | 'limits' | 'datastore'>;
  listen: { host: string; port: number };
  /** The certificate to serve; null on loopback (plain HTTP). */
  tls: TlsMaterial | null;
  store: ChunkStore;
  datastore: Datastore;
  verify: VerifyPool;
  bus: EventBus;
  metrics: MetricsRegistry;
  backup: Pick<ReturnType<typeof backupArea>, 'sessions' | 'catalog' | 'trees' | 'usage' | 'reserve'>;
  accounts: Pick<ReturnType<typeof accountsArea>, 'tokens' | 'accounts' | 'webSessions' | 'setupCode'>;
  jobs: Pick<ReturnType<typeof jobsArea>, 'tasks' | 'alerts'>;
  disks: ReturnType<typeof disksArea>['disks'];
  pool: Pick<ReturnType<typeof poolArea>, 'pools' | 'status'>;
  retention: Pick<ReturnType<typeof retentionArea>, 'policies' | 'prune'>;
  plan: Pick<ReturnType<typeof planArea>, 'plans' | 'watch'>;
  notify: Pick<ReturnType<typeof notifyArea>, 'targets' | 'outbox' | 'notifier'>;
  gc: Pick<ReturnType<typeof gcArea>, 'gc'>;
  verification: Pick<ReturnType<typeof verifyArea>, 'verify'>;
  drill: Pick<ReturnType<typeof drillArea>, 'drills'>;
  report: Pick<ReturnType<typeof reportArea>, 'reports'>;
  replication: Pick<ReturnType<typeof replicationArea>, 'replication'>;
  clock: Clock;
  log: Logger;
}

export async function httpArea(deps: HttpAreaDeps) {
  const { config, tls, store, bus, metrics, log } = deps;
  const { sessions, catalog, trees } = deps.backup;
  const { tokens, accounts, webSessions, setupCode } = deps.accounts;
  const { tasks, alerts } = deps.jobs;
  const { pools } = deps.pool;
  const disks = deps.disks;
  const pool = deps.verify;
  // Aborted first at stop: the shutdown gate refuses new requests and upload streams stop reading.
  const shutdown = new AbortController();
  let ready = false;
  let urls: string[] = [];
  let url: string | null = null;

  const hub = new LiveHub({
    bus,
    state: liveState({
      clock: deps.clock, usage: deps.backup.usage, catalog, sessions, disks: disks.inventory, alerts, tasks,
      pool: deps.pool.status, swaps: pools.swaps,
    }),
    isSessionLive: (id) => webSessions.isLive(id),
    log,
  });

  const localSocket = new LocalSocket();
  const { server } = await buildApiServer({
    log, version: VERSION, limits: config.limits, syncEveryBytes: config.datastore.syncEveryBytes,
    store, datastore: deps.datastore, space: deps.backup.reserve, usage: deps.backup.usage, sessions, catalog, trees, pool, bus, tokens, accounts, webSessions, setupCode, hub,
    disks, tasks, alerts, pools, metrics, retention: deps.retention, gc: deps.gc.gc, verify: deps.verification.verify, drills: deps.drill.drills, reports: deps.report.reports, plan: deps.plan, notify: deps.notify, replication: deps.replication.replication, tls, urls: () => urls, ready: () => ready,
    shutdown: shutdown.signal, localSocket, uiDir: UI_DIR,
  });

  const stop = async (): Promise<void> => {
    shutdown.abort();
    ready = false;
    await localSocket.close();
    hub.stop();
    await closeServerGracefully(server, log);
  };

  return {
    name: 'http',
    server,
    /** The URL of the listener (after start). */
    url(): string {
      if (url === null) throw new Error('the HTTP area has not started');
      return url;
    },
    /** URLs people can use (the machine's addresses for a wildcard listener); empty before start. */
    urls: (): string[] => urls,
    async start(): Promise<void> {
      const { host, port } = deps.listen;
      try {
        hub.start();
        await localSocket.listen(server, socketPath(config.dataDir));
        // Fastify would log http:// for a listener it did not create itself (ours when serving HTTPS).
        await server.listen({ host, port, listenTextResolver: (address) => `Server listening at ${tls ? address.replace(/^http:/, 'https:') : address}` });
      } catch (err) {
        await stop(); // the socket may be listening and the hub beating
        throw err;
      }
      const address = server.server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      url = boundUrl(host, boundPort);
      urls = reachableUrls(host, boundPort);
      ready = true;
    },
    stop,
  };
}
