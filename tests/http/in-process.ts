// The in-process HTTP tier: the daemon's real API server (buildApiServer: route table,
// resolvers, error handler) over real parts in a temporary directory, driven with inject().
// One instance per test, closed when the test ends. No port, no process, no system disks:
// disk discovery is off and the pool area is built but never started (no pool exists).

import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Route } from '../../daemon/src/http/route-types.js';
import { pino } from 'pino';
import { AccountStore } from '../../daemon/src/accounts/accounts.js';
import { SetupCode } from '../../daemon/src/accounts/setup-code.js';
import { WebSessions } from '../../daemon/src/accounts/web-sessions.js';
import { TokenStore } from '../../daemon/src/auth/tokens.js';
import { Catalog } from '../../daemon/src/backup/catalog.js';
import { DatastoreUsageMonitor } from '../../daemon/src/backup/datastore-usage.js';
import { Sessions } from '../../daemon/src/backup/sessions.js';
import { SnapshotSizes } from '../../daemon/src/backup/snapshot-sizes.js';
import { TreeReader } from '../../daemon/src/backup/tree-reader.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import { createDisks } from '../../daemon/src/disks/disks-area.js';
import { EventBus } from '../../daemon/src/events.js';
import { gcServiceOf } from '../../daemon/src/areas/gc.js';
import { verifyServiceOf } from '../../daemon/src/areas/verify.js';
import { drillArea } from '../../daemon/src/areas/drill.js';
import { replicationArea } from '../../daemon/src/areas/replication.js';
import { systemClock } from '../../daemon/src/clock.js';
import { SystemCommandRunner } from '../../core/src/exec/runner.js';
import { buildApiServer } from '../../daemon/src/http/api-server.js';
import { datastoreOf } from '../../daemon/src/store/datastore.js';
import { SpaceReserve, effectiveReserveBytes } from '../../daemon/src/store/space-reserve.js';
import { LocalSocket } from '../../daemon/src/http/local-socket.js';
import { AlertCenter } from '../../daemon/src/jobs/alerts.js';
import { Scheduler } from '../../daemon/src/jobs/scheduler.js';
import { TaskRegistry } from '../../daemon/src/jobs/tasks.js';
import { LiveHub } from '../../daemon/src/live/live-hub.js';
import { MetricsRegistry } from '../../daemon/src/metrics/registry.js';
import { bootPool, createPoolArea } from '../../daemon/src/pool/pool-area.js';
import { notifyArea } from '../../daemon/src/areas/notify.js';
import { planArea } from '../../daemon/src/areas/plan.js';
import { DeletedCommits } from '../../daemon/src/report/deleted-commits.js';
import { offsiteUnknown } from '../../daemon/src/report/offsite.js';
import { ReportService } from '../../daemon/src/report/report-service.js';
import { PolicyStore } from '../../daemon/src/retention/policy-store.js';
import { PruneService } from '../../daemon/src/retention/prune.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { tempDir } from '../helpers/tmp.js';

export interface InProcess {
  server: FastifyInstance;
  routes: readonly Route[];
  dataDir: string;
  /** A bearer token of `scope`, created in the instance's token table. */
  token(scope: string): Promise<string>;
}

/** The UI's built files are not needed here: without them, GET /* answers "not built". */
const NO_UI = '/nonexistent-haven-ui';

export async function inProcessServer(t: TestContext): Promise<InProcess> {
  const cleanups: Array<() => Promise<void> | void> = [];
  // Closed in reverse order of creation whatever the test's outcome; registered before the
  // temporary directory's removal so that runs after everything writing into it stopped.
  t.after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const dataDir = tempDir(t, 'haven-http-');
  const { config } = loadConfig({ env: {}, flags: { dataDir, disks: { discovery: false } } });
  const log = pino({ level: 'silent' });

  const state = openStateDb(dataDir);
  cleanups.push(() => state.close());
  const store = await ChunkStore.open(join(dataDir, 'datastore'), { create: true, segmentMaxBytes: config.datastore.segmentMaxBytes, directIo: false });
  cleanups.push(() => store.close());
  const pool = createVerifyPool({ threads: 1 });
  cleanups.push(() => pool.close());
  const bus = new EventBus((err) => {
    throw err;
  });
  const runner = new SystemCommandRunner();
  const datastore = datastoreOf(store);
  const sessions = new Sessions(datastore, bus, { idleSeconds: config.limits.sessionIdleSeconds });
  const catalog = new Catalog(datastore.catalog, bus);
  const trees = new TreeReader(datastore.objects);
  const tokens = new TokenStore(state);
  const accounts = new AccountStore(state);
  const webSessions = new WebSessions(state);
  const setupCode = new SetupCode(dataDir);
  setupCode.open(accounts.any());
  const sizes = new SnapshotSizes(datastore.catalog, trees, bus, state, () => undefined, log);
  const reserve = new SpaceReserve({
    root: () => datastore.usage.root, reserveBytes: effectiveReserveBytes(config.datastore), now: Date.now,
    onListenerError: (err) => {
      throw err;
    },
  });
  const usage = new DatastoreUsageMonitor(datastore.usage, sizes, bus, reserve);
  const tasks = new TaskRegistry(state, bus);
  await tasks.start();
  cleanups.push(() => tasks.stop());
  const alerts = new AlertCenter(state, bus);
  const scheduler = new Scheduler(log);
  cleanups.push(() => scheduler.stop());
  const disks = createDisks({ config: config.disks, stateDir: dataDir, state, bus, runner, tasks, alerts, scheduler, log });
  const boot = await bootPool({ state, runner, config: config.pool, dataDir, log });
  const pools = createPoolArea({
    boot, state, runner, config: config.pool, pinnedDatastore: null, stateDir: dataDir, bus, alerts, tasks, scheduler,
    disks: disks.inventory, rescan: disks.rescan, store, log,
  });
  const hub = new LiveHub({
    bus,
    state: () => ({
      version: 'test', time: new Date().toISOString(), datastore: usage.get(), groups: catalog.groups(), sessions: sessions.openSessions(),
      disks: disks.inventory.list(), alerts: alerts.list(), tasks: tasks.list({ limit: 50 }), pool: null, swap: pools.swaps.activeInfo(),
    }),
    isSessionLive: (id) => webSessions.isLive(id),
    log,
  });
  hub.start();
  cleanups.push(() => hub.stop());

  const policies = new PolicyStore(state);
  const prune = new PruneService({ catalog, holds: datastore.holds, policies, tasks, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone });
  const { gc, history: gcHistory } = gcServiceOf({ config: config.gc, store, sessions, holds: datastore.holds, state, bus, tasks, usageChanged: () => undefined });
  gc.start();
  cleanups.push(() => gc.stop());

  // built, not started: no runs after commits (the routes start runs on demand)
  const { verify, records } = verifyServiceOf({ config: config.verify, store, datastore, state, bus, tasks, alerts, now: Date.now });

  // Built, never started: there are no peers to follow here.
  const { replication } = replicationArea({
    config, stateDir: dataDir, state, datastore, sessions, catalog, space: reserve, verify: pool, bus, tasks, alerts, scheduler,
    metrics: new MetricsRegistry(log), clock: systemClock, log,
  });
  // built, not started: no RPO timer and no outbox pump; the routes call them directly
  const plan = planArea({ config: config.jobs, state, catalog, policies, alerts, bus, scheduler, metrics: new MetricsRegistry(log), now: Date.now, log });
  // drills reach no listener here (inject only): a drill started through a route fails at its restore
  const { drills } = drillArea({
    config: config.drill, dataDir, store, datastore, tokens, plans: plan.plans, alerts, tasks, state,
    server: () => ({ url: 'http://127.0.0.1:9', fingerprint: null }), now: Date.now,
  });
  const notify = notifyArea({ config: config.notify, state, bus, metrics: new MetricsRegistry(log), rpoState: (g) => plan.watch.stateOf(g), now: Date.now, log });
  const reports = new ReportService({
    catalog, deleted: new DeletedCommits(datastore.feed), plans: plan.plans, rpoState: (g) => plan.watch.stateOf(g), verification: records, drills: (g) => drills.history(g),
    gcRuns: () => gcHistory.list(), usage: () => usage.get(), offsite: offsiteUnknown, now: Date.now, timeZone: 'UTC',
  });

  const shutdown = new AbortController();
  const { server, routes } = await buildApiServer({
    log, version: 'test', limits: config.limits, syncEveryBytes: config.datastore.syncEveryBytes,
    store, datastore, space: reserve, usage, sessions, catalog, trees, pool, bus, tokens, accounts, webSessions, setupCode, hub, disks, tasks, alerts, pools,
    retention: { policies, prune }, gc, verify, drills, reports, plan, notify, replication,
    metrics: new MetricsRegistry(log), tls: null, urls: () => [], ready: () => true, shutdown: shutdown.signal,
    localSocket: new LocalSocket(), uiDir: NO_UI,
  });
  cleanups.push(async () => {
    shutdown.abort();
    await server.close();
  });
  await server.ready(); // inject() waits for it by itself, injectWS() does not
  return { server, routes, dataDir, token: async (scope) => (await tokens.create(`test ${scope}`, scope)).token };
}
