// The composition root: builds every area once from what the areas before it provide, starts
// them in that order and stops them in reverse (areas/area.ts). Nothing else constructs
// services; areas receive only what they use, and nothing is used before it exists.

import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { accountsArea } from './areas/accounts.js';
import { AreaRunner } from './areas/area.js';
import { backupArea } from './areas/backup.js';
import { datastoreArea, verifyWorkersArea } from './areas/datastore.js';
import { disksArea } from './areas/disks.js';
import { gcArea } from './areas/gc.js';
import { verifyArea } from './areas/verify.js';
import { drillArea } from './areas/drill.js';
import { reportArea } from './areas/report.js';
import { applianceTimeZone } from './areas/retention.js';
import { DeletedCommits } from './report/deleted-commits.js';
import { offsiteFromPlan } from './report/offsite.js';
import { deadManArea } from './areas/dead-man.js';
import { httpArea } from './areas/http.js';
import { jobsArea } from './areas/jobs.js';
import { notifyArea } from './areas/notify.js';
import { planArea } from './areas/plan.js';
import { poolArea, poolMountArea } from './areas/pool.js';
import { reserveAlertArea } from './areas/reserve-alert.js';
import { backupWarningsAlertArea } from './areas/backup-warnings-alert.js';
import { retentionArea } from './areas/retention.js';
import { replicationArea } from './areas/replication.js';
import { stateDbArea, stateDirArea } from './areas/state.js';
import { systemClock } from './clock.js';
import { parseListen, type LoadedConfig } from './config/load.js';
import type { Inventory } from './disks/inventory.js';
import { EventBus } from './events.js';
import { SystemCommandRunner } from '../../core/src/exec/runner.js';
import { isLoopbackHost } from './http/listen-address.js';
import type { OffsiteState, PlanEntry, RtoMeasured } from '../../core/src/api/plan.js';
import { OFFSITE_UNKNOWN } from './plan/offsite-state.js';
import { offsiteArea } from './areas/offsite.js';
import type { AlertCenter } from './jobs/alerts.js';
import type { Scheduler } from './jobs/scheduler.js';
import type { TaskRegistry } from './jobs/tasks.js';
import { MetricsRegistry, gauge } from './metrics/registry.js';
import type { StateDb } from './state/state-db.js';
import type { ChunkStore } from './store/chunk-store.js';
import { effectiveReserveBytes } from './store/space-reserve.js';
import { ensureCertificate, tlsDir, type TlsMaterial } from './tls/certificate.js';
import { VERSION } from '../../core/src/version.js';

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
  /** The one-time code that creates the first admin; null once an admin exists. */
  setupCode: string | null;
  /** Graceful shutdown: refuses new requests, ends upload streams cleanly, lets commits finish, flushes LMDB. */
  close(): Promise<void>;
}

export async function startApp(loaded: LoadedConfig, log: Logger): Promise<RunningApp> {
  const { config } = loaded;
  const dataDir = config.dataDir;
  const clock = systemClock;
  const areas = new AreaRunner({ clock, log });
  // Failures are logged by the runner, one per area; the other areas still stop.
  const close = async (): Promise<void> => void (await areas.stop());
  try {
    await areas.start(stateDirArea(dataDir));
    const runner = new SystemCommandRunner();
    const listen = parseListen(config.listen);
    // Loopback means plain HTTP; any other address HTTPS with the appliance's own certificate.
    const tls = isLoopbackHost(listen.host) ? null : await ensureCertificate(tlsDir(dataDir), runner);
    const { db: state } = await areas.start(stateDbArea(dataDir, log));
    // A configured pool is mounted before the datastore opens: the datastore lives on it.
    const { boot } = await areas.start(await poolMountArea({ state, runner, config: config.pool, dataDir, log }));
    const { store, datastore } = await areas.start(await datastoreArea({ path: boot.datastorePath(loaded), config: config.datastore, log }));
    const { pool: verify } = await areas.start(verifyWorkersArea(config.workers));

    const bus = new EventBus((err, name) => log.error({ err, event: name }, 'event listener failed'));
    const metrics = new MetricsRegistry(log);
    metrics.register('daemon', () => [gauge('haven_build_info', 'The running havend\'s version', [{ labels: { version: VERSION }, value: 1 }])]);

    const backup = await areas.start(backupArea({
      datastore, state, bus, metrics, sessionIdleSeconds: config.limits.sessionIdleSeconds, reserveBytes: effectiveReserveBytes(config.datastore), clock, log,
    }));
    const accounts = await areas.start(accountsArea({ state, dataDir, clock, log }));
    // jobs: tasks, alerts and the scheduler that the disks and pool areas hang their work on
    const { tasks, alerts, scheduler } = await areas.start(jobsArea({ state, bus, metrics, clock, log }));
    // the alert while uploads are refused for lack of space (the reserve is the backup area's)
    await areas.start(reserveAlertArea({ reserve: backup.reserve, alerts, datastoreId: datastore.usage.id }));
    // the alert while a group's newest backup reported warnings (files skipped or changed while read)
    await areas.start(backupWarningsAlertArea({ catalog: backup.catalog, alerts, bus, delayMs: config.jobs.warningsAlertDelaySeconds * 1000 }));
    // disks: inventory kept in step with the machine, SMART health, self-tests
    const disks = await areas.start(disksArea({
      config: config.disks, stateDir: resolve(dataDir), state, bus, runner, tasks, alerts, scheduler, metrics, log,
    }));
    // the storage pool: status, create, scrub, members, swaps, alerts
    const pool = await areas.start(poolArea({
      boot, state, runner, config: config.pool, pinnedDatastore: config.datastore.path === '' ? null : loaded.datastorePath,
      stateDir: resolve(dataDir), bus, alerts, tasks, scheduler, disks: disks.inventory, rescan: disks.disks.rescan, store, metrics, log,
    }));
    // retention: policies per group, preview, prune on demand and on a schedule
    const retention = await areas.start(retentionArea({
      config: config.retention, state, catalog: backup.catalog, holds: datastore.holds, tasks, scheduler, now: () => clock.now(), log,
    }));
    // notifications: targets and the persistent outbox, fed by alerts (before the plan area, so
    // an alert its first check raises is not missed; messages read RPO states from it once built)
    let rpoState: (group: string) => string | null = () => null;
    const notify = await areas.start(notifyArea({ config: config.notify, state, bus, metrics, rpoState: (g) => rpoState(g), now: () => clock.now(), log }));
    // the protection plan and its RPO watch (alerts when a group is late or past its RPO)
    // (verification is built later; damaged snapshots, which do not count for the RPO, are asked for at each check)
    let damagedSnapshot = (_id: string): boolean => false;
    let rtoEstimate: (group: string) => RtoMeasured | null = () => null;
    let offsiteState = (_entry: PlanEntry): OffsiteState => OFFSITE_UNKNOWN;
    const plan = await areas.start(planArea({
      config: config.jobs, state, catalog: backup.catalog, policies: retention.policies, alerts, bus, scheduler, metrics, now: () => clock.now(),
      damaged: (id) => damagedSnapshot(id), rtoEstimate: (g) => rtoEstimate(g), offsite: (e) => offsiteState(e), pool: () => pool.status.get(), log,
    }));
    rpoState = (g) => plan.watch.stateOf(g);
    // garbage collection: one run at a time as a task, on demand and on a schedule
    const gc = await areas.start(gcArea({
      config: config.gc, store, sessions: backup.sessions, holds: datastore.holds, state, bus, tasks, scheduler, metrics,
      usageChanged: () => backup.usage.schedule(), log,
    }));
    // offsite replication: the peers this appliance pulls from (issue 14)
    const replication = await areas.start(replicationArea({
      config, stateDir: resolve(dataDir), state, datastore, sessions: backup.sessions, catalog: backup.catalog, space: backup.reserve, verify, bus, tasks, alerts, scheduler, metrics, clock, log,
    }));
    // the offsite copy of each plan entry: confirmations from offsites (source), peers' lag (offsite)
    const offsite = await areas.start(offsiteArea({
      state, bus, replication: replication.replication, peers: replication.peers, tokens: accounts.tokens, feed: datastore.feed, catalog: backup.catalog,
      now: () => clock.now(),
    }));
    offsiteState = (e) => offsite.states.of(e);
    // verification: new snapshots after they commit, a nightly share of everything, quarantine and healing
    const verification = await areas.start(verifyArea({
      config: config.verify, store, datastore, state, bus, tasks, alerts, scheduler, metrics, now: () => clock.now(), log, repair: replication.repair,
    }));
    damagedSnapshot = (id) => verification.records.isDamaged(id);
    // recovery drills: the real client restores into a scratch area through this appliance's URL
    let serverForDrills = (): { url: string; fingerprint: string | null } => ({ url: '', fingerprint: null });
    const drill = await areas.start(drillArea({
      config: config.drill, dataDir, store, datastore, tokens: accounts.tokens, plans: plan.plans, alerts, tasks, scheduler, metrics, state,
      server: () => serverForDrills(), now: () => clock.now(),
    }));
    rtoEstimate = (g) => drill.drills.rtoEstimate(g);
    // reports over what the areas above recorded, and the scheduled summary through the notifier
    const report = await areas.start(reportArea({
      config: config.reports, catalog: backup.catalog, deleted: new DeletedCommits(datastore.feed), plans: plan.plans, rpoState: (g) => plan.watch.stateOf(g),
      verification: verification.records, drills: (g) => drill.drills.history(g), gcRuns: () => gc.history.list(),
      usage: () => backup.usage.get(), offsite: offsiteFromPlan((e) => offsite.states.of(e)), scheduler, notifier: notify.notifier, now: () => clock.now(),
      timeZone: applianceTimeZone(), log,
    }));
    // dead-man switches: every scheduled job must succeed within its window (after the areas that schedule)
    const deadMan = await areas.start(deadManArea({ config: config.jobs, scheduler, alerts, bus, state, metrics, now: () => clock.now() }));
    const http = await areas.start(await httpArea({
      config, listen, tls, store, datastore, verify, bus, metrics, backup, accounts, jobs: { tasks, alerts, scheduler, deadMan: deadMan.switches }, disks: disks.disks, pool, retention, gc,
      verification, drill, report, plan, notify, replication, offsite, clock, log,
    }));
    serverForDrills = () => ({ url: http.url(), fingerprint: tls?.fingerprint ?? null });

    const setupCode = accounts.setupCodeValue;
    if (setupCode !== null) log.info({ setupCode }, 'no admin account yet: open the UI and create one with the setup code');
    return {
      server: http.server, url: http.url(), urls: http.urls(), store, bus, state, inventory: disks.inventory, tasks, alerts, scheduler,
      tls, metrics, setupCode, close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
