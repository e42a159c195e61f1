// The replication area (the offsite side of issue 14): the peers this appliance pulls from,
// a puller per peer, the lag check (every `jobs.lagCheckSeconds`, 30 s by default), the due deletions (every 5 s) and the
// replication metrics, the lag samples (lag-history.ts, with the lag check). It starts after
// the backup, jobs and verification areas it pulls through (sessions, the verified ingest,
// tasks, alerts) and before the HTTP area that serves its routes; at stop the pullers end
// first (their in-flight pull is cut and resumes at the next start).

import type { Logger } from 'pino';
import type { Catalog } from '../backup/catalog.js';
import type { Sessions } from '../backup/sessions.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { TaskRegistry } from '../jobs/tasks.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { DeletionPropagation, DeletionStore } from '../replication/deletion-propagation.js';
import { LagHistoryStore, LagSampler } from '../replication/lag-history.js';
import { PeerGate } from '../replication/peer-gate.js';
import { PeerPuller } from '../replication/peer-puller.js';
import { PeerRepair } from '../replication/peer-repair.js';
import { PeerStore } from '../replication/peer-store.js';
import { ReplicationService } from '../replication/replication-service.js';
import type { StateDb } from '../state/state-db.js';
import type { Datastore } from '../store/datastore.js';
import type { UploadSpace } from '../store/space-reserve.js';
import type { VerifyPool } from '../workers/verify-pool.js';
import { repeat, type Repeating } from './repeat.js';

/** Parallel object streams per peer. */
const STREAMS = 4;
/** Pending deletions are looked at this often (a range read per peer): a short delay is kept to within seconds. */
const DUE_CHECK_MS = 5_000;

export interface ReplicationAreaDeps {
  config: Pick<Config, 'limits' | 'datastore' | 'jobs'>;
  stateDir: string;
  state: StateDb;
  datastore: Pick<Datastore, 'objects' | 'catalog' | 'quarantine'>;
  sessions: Sessions;
  catalog: Catalog;
  /** The datastore's free-space reserve (the backup area's): pulls are refused below it like uploads. */
  space: UploadSpace;
  verify: VerifyPool;
  bus: EventBus;
  tasks: TaskRegistry;
  alerts: AlertCenter;
  scheduler: Scheduler;
  metrics: MetricsRegistry;
  clock: Clock;
  log: Logger;
}

export function replicationArea(deps: ReplicationAreaDeps) {
  const peers = new PeerStore(deps.state, deps.stateDir, () => deps.clock.now());
  const deletions = new DeletionStore(deps.state);
  const lagHistory = new LagHistoryStore(deps.state);
  // Stops every pull of the daemon's lifetime: streams end cleanly, their complete frames kept.
  const shutdown = new AbortController();
  const replication = new ReplicationService({
    peers,
    deletions,
    lagHistory,
    puller: (peer, token) => new PeerPuller({
      peer, token, peers, streams: STREAMS, catalog: deps.catalog, localCatalog: deps.datastore.catalog, tasks: deps.tasks,
      now: () => deps.clock.now(), log: deps.log,
      gate: new PeerGate(peer, () => deps.clock.now()),
      // reads the peer's settings as edited (PeerStore), not as they were when the puller was built
      propagation: new DeletionPropagation({
        peer: () => peers.get(peer.name), store: deletions, peers, catalog: deps.catalog, localCatalog: deps.datastore.catalog,
        alerts: deps.alerts, now: () => deps.clock.now(), log: deps.log,
      }),
      pull: {
        objects: deps.datastore.objects, pool: deps.verify, space: deps.space, sessions: deps.sessions, streams: STREAMS, shutdown: shutdown.signal,
        ingest: { maxFrameBytes: deps.config.limits.maxFrameBytes, syncEveryBytes: deps.config.datastore.syncEveryBytes },
        commit: { store: deps.datastore, bus: deps.bus },
      },
    }),
    scheduler: deps.scheduler, alerts: deps.alerts, now: () => deps.clock.now(),
  });
  // Repairs from any peer, pull or repair-only (verification asks it; the area only builds it).
  const repair = new PeerRepair({
    peers, sessions: deps.sessions,
    fetch: {
      objects: deps.datastore.objects, pool: deps.verify, space: deps.space, shutdown: shutdown.signal,
      ingest: { maxFrameBytes: deps.config.limits.maxFrameBytes, syncEveryBytes: deps.config.datastore.syncEveryBytes },
    },
  });
  const sampler = new LagSampler({ history: lagHistory, peers: replication, bus: deps.bus, now: () => deps.clock.now(), log: deps.log });
  let lagCheck: Repeating | null = null;
  let dueCheck: Repeating | null = null;
  let unregister = (): void => {};
  return {
    name: 'replication',
    replication, peers,
    repair,
    async start(): Promise<void> {
      await replication.start();
      unregister = deps.metrics.register('replication', () => replication.metrics());
      // Sampled first: a paused or scheduled peer's count of snapshots behind is asked of its source then.
      const sampleAndCheck = async (): Promise<void> => {
        try {
          await sampler.sampleAll();
        } finally {
          replication.checkLag();
        }
      };
      lagCheck = repeat(deps.clock, deps.config.jobs.lagCheckSeconds * 1000, sampleAndCheck, (err) => deps.log.error({ err }, 'replication lag check failed'));
      dueCheck = repeat(deps.clock, DUE_CHECK_MS, () => replication.applyDueDeletions(), (err) => deps.log.error({ err }, 'replication: propagating due deletions failed'));
    },
    async stop(): Promise<void> {
      shutdown.abort();
      sampler.stop();
      await lagCheck?.stop();
      await dueCheck?.stop();
      unregister();
      await replication.stop();
    },
  };
}
