// The HTTP API as one unit: every area's route handlers, the route table, the principal
// resolvers (local socket, bearer token, browser session) and the server around them. The
// composition root (app.ts) and the in-process tests (tests/http/) both build it here, so the
// tests exercise exactly the routes and auth the daemon serves.

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AccountStore } from '../accounts/accounts.js';
import type { SetupCode } from '../accounts/setup-code.js';
import type { WebSessions } from '../accounts/web-sessions.js';
import { GuessLimiter } from '../auth/guess-limiter.js';
import type { TokenStore } from '../auth/tokens.js';
import type { Catalog } from '../backup/catalog.js';
import type { Sessions } from '../backup/sessions.js';
import type { TreeReader } from '../backup/tree-reader.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { GcService } from '../gc/gc-service.js';
import type { VerifyService } from '../verify/verify-service.js';
import type { DrillService } from '../drill/drill-service.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import { liveSocketPlugin, type LiveHub } from '../live/live-hub.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { PlanStore } from '../plan/plan-store.js';
import type { RpoWatch } from '../plan/rpo-watch.js';
import type { SwapService } from '../pool/swap/swap-service.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { Datastore } from '../store/datastore.js';
import type { UploadSpace } from '../store/space-reserve.js';
import type { TlsMaterial } from '../tls/certificate.js';
import type { VerifyPool } from '../workers/verify-pool.js';
import type { LocalSocket } from './local-socket.js';
import { routeTable, type RouteHandlers } from './route-table.js';
import type { Route } from './route-types.js';
import { archiveRoutes } from './routes/archive.js';
import { authRoutes } from './routes/auth.js';
import { backupRoutes } from './routes/backups.js';
import { diskRoutes, type DiskRouteDeps } from './routes/disks.js';
import { gcRoutes } from './routes/gc.js';
import { verifyRoutes } from './routes/verify.js';
import { drillRoutes } from './routes/drills.js';
import { reportRoutes } from './routes/reports.js';
import type { ReportService } from '../report/report-service.js';
import { healthRoutes } from './routes/health.js';
import { alertRoutes, scheduledJobRoutes, taskRoutes } from './routes/jobs.js';
import type { JobListDeps } from '../jobs/job-list.js';
import { liveRoutes } from './routes/live.js';
import { notifyRoutes, type NotifyRouteDeps } from './routes/notify.js';
import { planRoutes } from './routes/plan.js';
import { poolRoutes, type PoolRouteDeps } from './routes/pool.js';
import { retentionRoutes, type RetentionRouteDeps } from './routes/retention.js';
import { replicationSourceRoutes } from './routes/replication-source.js';
import { peerActivityRoutes } from './routes/peer-activity.js';
import { peerRoutes } from './routes/peers.js';
import type { ReplicationService } from '../replication/replication-service.js';
import type { OffsiteConfirmations } from '../replication/offsite-confirmations.js';
import { snapshotRoutes } from './routes/snapshots.js';
import { swapRoutes } from './routes/swaps.js';
import { systemRoutes, type SystemDeps } from './routes/system.js';
import { tokenRoutes } from './routes/tokens.js';
import { uiRoutes } from './routes/ui-static.js';
import { buildServer } from './server.js';
import { sessionResolver } from './session-auth.js';
import { tokenResolver } from './token-auth.js';
import { shutdownGate } from './shutdown-gate.js';

const MAX_OBJECTS_PER_REQUEST = 4096;

export interface ApiServerDeps {
  log: Logger;
  version: string;
  limits: Config['limits'];
  syncEveryBytes: number;
  store: ChunkStore;
  /** The store's interfaces (routes never touch its tables). */
  datastore: Datastore;
  /** The free-space reserve that admits upload streams' new objects. */
  space: UploadSpace;
  usage: SystemDeps['usage'];
  sessions: Sessions;
  catalog: Catalog;
  trees: TreeReader;
  pool: VerifyPool;
  bus: EventBus;
  tokens: TokenStore;
  accounts: AccountStore;
  webSessions: WebSessions;
  setupCode: SetupCode;
  hub: LiveHub;
  disks: DiskRouteDeps;
  tasks: TaskRegistry;
  alerts: AlertCenter;
  /** The scheduler and dead-man switches behind GET /jobs (absent in tests that build no scheduler). */
  jobs?: Omit<JobListDeps, 'tasks'>;
  pools: PoolRouteDeps & { swaps: SwapService };
  retention: RetentionRouteDeps;
  plan: { plans: PlanStore; watch: RpoWatch };
  notify: NotifyRouteDeps;
  gc: Pick<GcService, 'status' | 'begin'>;
  verify: Pick<VerifyService, 'status' | 'begin' | 'repair'>;
  drills: Pick<DrillService, 'status' | 'begin'>;
  reports: Pick<ReportService, 'build'>;
  replication: ReplicationService;
  /** On the source: each replication token's changes request, as its offsite's confirmation. */
  confirmations?: Pick<OffsiteConfirmations, 'note'> | undefined;
  metrics: MetricsRegistry;
  /** Serve HTTPS with this certificate; plain HTTP when null. */
  tls: TlsMaterial | null;
  urls: () => string[];
  ready: () => boolean;
  /** Aborted at shutdown: the gate refuses new requests and upload streams end cleanly. */
  shutdown: AbortSignal;
  localSocket: LocalSocket;
  /** The built admin UI (vite's output). */
  uiDir: string;
}

function routeHandlers(d: ApiServerDeps, guesses: GuessLimiter): RouteHandlers {
  return {
    health: healthRoutes({ version: d.version, datastoreId: d.store.identity.id, ready: d.ready }),
    backups: backupRoutes({
      store: d.datastore, sessions: d.sessions, catalog: d.catalog, pool: d.pool, space: d.space, bus: d.bus,
      chunker: d.store.identity.chunker,
      limits: d.limits,
      ingest: { syncEveryBytes: d.syncEveryBytes },
      shutdown: d.shutdown,
    }),
    snapshots: snapshotRoutes({ store: d.datastore.objects, catalog: d.catalog, trees: d.trees, maxObjectsPerRequest: MAX_OBJECTS_PER_REQUEST, shutdown: d.shutdown }),
    tokens: tokenRoutes(d.tokens),
    disks: diskRoutes(d.disks),
    tasks: taskRoutes(d.tasks),
    alerts: alertRoutes(d.alerts),
    jobs: scheduledJobRoutes({ scheduler: d.jobs?.scheduler ?? { list: () => [] }, tasks: d.tasks, ...(d.jobs?.deadMan ? { deadMan: d.jobs.deadMan } : {}) }),
    system: systemRoutes({ tls: () => d.tls, urls: d.urls, metrics: d.metrics, usage: d.usage }),
    auth: authRoutes({
      accounts: d.accounts, sessions: d.webSessions, setupCode: d.setupCode,
      guesses,
      onSessionEnded: (id) => d.hub.closeSession(id),
      log: (msg, fields) => d.log.info(fields, msg),
    }),
    live: liveRoutes(d.hub),
    archive: archiveRoutes({ catalog: d.catalog, trees: d.trees }),
    ui: uiRoutes(d.uiDir),
    pool: poolRoutes(d.pools),
    swaps: swapRoutes(d.pools.swaps),
    retention: retentionRoutes(d.retention),
    plan: planRoutes({ ...d.plan, enrolment: { tokens: d.tokens, urls: d.urls, fingerprint: () => d.tls?.fingerprint ?? null } }),
    notify: notifyRoutes(d.notify),
    gc: gcRoutes(d.gc),
    verify: verifyRoutes(d.verify),
    drills: drillRoutes(d.drills),
    reports: reportRoutes(d.reports),
    replicationSource: replicationSourceRoutes({
      feed: d.datastore.feed, objects: d.datastore.objects, catalog: d.catalog, bus: d.bus, shutdown: d.shutdown,
      ...(d.confirmations ? { confirmations: d.confirmations } : {}),
    }),
    peers: peerRoutes(d.replication),
    peerActivity: peerActivityRoutes(d.replication),
  };
}

export interface ApiServer {
  server: FastifyInstance;
  /** The route table it serves, policies included (the auth matrix test walks it). */
  routes: readonly Route[];
}

export async function buildApiServer(d: ApiServerDeps): Promise<ApiServer> {
  const { limits } = d;
  const guesses = new GuessLimiter({
    perAddress: limits.authFailuresPerAddress, global: limits.authFailuresGlobal, perAccount: limits.authFailuresPerAccount,
    windowMs: limits.authFailureWindowSeconds * 1000,
  });
  const routes = routeTable(routeHandlers(d, guesses), { maxHasDigests: d.limits.maxHasDigests, maxObjectsPerRequest: MAX_OBJECTS_PER_REQUEST });
  const server = await buildServer({
    logger: d.log,
    maxJsonBodyBytes: d.limits.maxJsonBodyBytes,
    headersTimeoutMs: d.limits.headersTimeoutMs,
    ...(d.tls ? { https: { key: d.tls.key, cert: d.tls.cert } } : {}),
    plugins: [shutdownGate(d.shutdown), liveSocketPlugin],
    resolvers: [
      d.localSocket.resolver,
      tokenResolver(d.tokens, guesses),
      sessionResolver(d.webSessions),
    ],
    routes,
  });
  const unregister = d.metrics.register('auth', () => guesses.collect());
  server.addHook('onClose', async () => unregister());
  return { server, routes };
}
