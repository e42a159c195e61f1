// The offsite's replication: its peers (add, list, status, remove), one puller per peer
// (following the source's feed, or pulling on a cron schedule), one-shot pulls on demand,
// the lag alert and the metrics. The peers' settings and progress are in the state db
// (peer-store.ts); the pulling is peer-puller.ts.

import { Cron } from 'croner';
import { HavenError } from '../../../core/src/errors.js';
import type { LagHistory, PeerQueue } from '../../../core/src/api/peer-activity.js';
import type { AddPeerRequest, PeerInfo, PeerStatus, ReplicateResponse, UpdatePeerRequest } from '../../../core/src/api/replication.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { Scheduler } from '../jobs/scheduler.js';
import { counter, gauge, type MetricFamily } from '../metrics/registry.js';
import { brakeAlertKey, type DeletionStore } from './deletion-propagation.js';
import type { LagHistoryStore } from './lag-history.js';
import { applyUpdate } from './peer-limits.js';
import { isPaused, pausedPeer, pauseReason, resumedPeer } from './peer-pause.js';
import { applySettings } from './peer-settings.js';
import { FOLLOW, peerInfoOf, type PeerStore } from './peer-store.js';
import type { PeerPuller } from './peer-puller.js';

export interface ReplicationServiceDeps {
  peers: PeerStore;
  deletions: DeletionStore;
  lagHistory: LagHistoryStore;
  /** Builds the puller of a peer (its source connection with the peer's token). */
  puller: (peer: PeerInfo, token: string) => PeerPuller;
  scheduler: Pick<Scheduler, 'cron' | 'remove'>;
  alerts: Pick<AlertCenter, 'raise' | 'clear'>;
  now: () => number;
}

const jobName = (peer: string): string => `replication:${peer}`;
const alertKey = (peer: string): string => `replication.lag:${peer}`;

export class ReplicationService {
  private readonly pullers = new Map<string, PeerPuller>();
  /** The last queue asked of each peer's source (shown with the error when the source is away). */
  private readonly queues = new Map<string, PeerQueue>();

  constructor(private readonly deps: ReplicationServiceDeps) {}

  async start(): Promise<void> {
    for (const peer of this.deps.peers.list()) await this.launch(peer);
  }

  async stop(): Promise<void> {
    for (const name of [...this.pullers.keys()]) await this.halt(name);
  }

  private async launch(peer: PeerInfo): Promise<void> {
    const puller = this.deps.puller(peer, await this.deps.peers.token(peer.name));
    this.pullers.set(peer.name, puller);
    // A repair-only peer is never pulled from: its puller only answers its status.
    if (peer.repairOnly === true) return;
    puller.start();
    if (peer.schedule !== FOLLOW) {
      this.deps.scheduler.cron(jobName(peer.name), peer.schedule, async () => {
        // A paused peer skips its runs (one would only wait at the gate, a task running for nothing).
        if (isPaused(this.deps.peers.get(peer.name))) return;
        await puller.replicate().done;
      });
    }
  }

  private async halt(name: string): Promise<void> {
    this.deps.scheduler.remove(jobName(name));
    const p = this.pullers.get(name);
    this.pullers.delete(name);
    await p?.stop();
  }

  private puller(name: string): PeerPuller {
    const p = this.pullers.get(name);
    if (!p) throw new HavenError('PEER_NOT_FOUND', { name });
    return p;
  }

  /**
   * Adds a peer after asking the source which groups the token covers: a wrong URL, token or
   * fingerprint fails here, and so does a group that would clash with a local one or one
   * another peer brings (PEER_GROUP_CLASH) unless a prefix keeps them apart.
   */
  async add(req: AddPeerRequest): Promise<PeerStatus> {
    if (this.pullers.has(req.name)) throw new HavenError('PEER_EXISTS', { name: req.name });
    if (req.lagAlert !== undefined) parseDuration(req.lagAlert);
    if (req.schedule !== undefined && req.schedule !== FOLLOW) checkCron(req.schedule);
    if (req.repairOnly === true && (req.schedule !== undefined || req.groupPrefix !== undefined)) {
      throw new HavenError('VALIDATION_FAILED', { detail: 'a repair-only peer is never pulled from: it takes no schedule and no group prefix' });
    }
    // A puller that is never started: it only asks the source, with the request's settings.
    const probe = this.deps.puller(peerInfoOf(req, this.deps.now()), req.token);
    try {
      // A repair-only peer holds copies of this appliance's own groups: no clash to look for.
      for (const group of await probe.sourceGroups()) {
        const clash = req.repairOnly === true ? null : probe.clash(group);
        if (clash) throw clash;
      }
    } finally {
      await probe.stop();
    }
    const info = await this.deps.peers.add(req);
    await this.launch(info);
    return this.status(info.name);
  }

  async remove(name: string): Promise<void> {
    this.deps.peers.get(name);
    await this.halt(name);
    await this.deps.peers.remove(name);
    await this.deps.deletions.forget(name);
    await this.deps.lagHistory.forget(name);
    this.queues.delete(name);
    this.deps.alerts.clear(alertKey(name));
    this.deps.alerts.clear(brakeAlertKey(name));
  }

  /**
   * Edits a peer's lag alert, schedule, groups, bandwidth limit, time windows and deletion
   * propagation (a pull under way takes them at its next request; a new schedule starts the
   * puller over); `deletesPaused: false` lifts the brake.
   */
  async update(name: string, req: UpdatePeerRequest): Promise<PeerStatus> {
    let puller = this.puller(name);
    if (req.schedule !== undefined && req.schedule !== FOLLOW) checkCron(req.schedule);
    const { info, restart } = applySettings(applyUpdate(this.deps.peers.get(name), req), req);
    await this.deps.peers.put(info);
    if (restart) {
      // Follow mode and a cron job are different loops: the puller starts over (a pull under way is cut, and resumes).
      await this.halt(name);
      await this.launch(info);
      puller = this.puller(name);
    } else puller.update(info);
    if (req.deletesPaused === false) await puller.propagation.resume(req.dropPendingDeletes === true);
    return puller.status();
  }

  /** Pauses a peer (kept in its record): no follow, no scheduled run; a pull under way stops before its next object request. */
  async pause(name: string, by: string): Promise<PeerStatus> {
    return this.setPeer(name, pausedPeer(this.deps.peers.get(name), by, this.deps.now()));
  }

  /** Resumes a paused peer: it follows (or waits for its schedule) again, a stopped pull goes on. */
  async resume(name: string): Promise<PeerStatus> {
    return this.setPeer(name, resumedPeer(this.deps.peers.get(name)));
  }

  private async setPeer(name: string, info: PeerInfo): Promise<PeerStatus> {
    const puller = this.puller(name);
    await this.deps.peers.put(info);
    puller.update(info);
    return puller.status();
  }

  /** What the offsite lacks of the peer's source (asked now; the last answer with the error when the source is away). */
  async queue(name: string): Promise<PeerQueue> {
    const puller = this.puller(name);
    if (this.deps.peers.get(name).repairOnly === true) throw new HavenError('PEER_REPAIR_ONLY', { name });
    const checked = new Date(this.deps.now()).toISOString();
    try {
      const q: PeerQueue = { peer: name, snapshots: await puller.look(), inFlight: puller.pulling, checked, error: null };
      this.queues.set(name, q);
      return q;
    } catch (err) {
      const last = this.queues.get(name);
      const error = err instanceof Error ? err.message : String(err);
      return { peer: name, snapshots: last?.snapshots ?? [], inFlight: puller.pulling, checked: last?.checked ?? checked, error };
    }
  }

  /** Asks the source what is behind (the lag sampler, for a peer that is not pulling). */
  async look(name: string): Promise<void> {
    await this.queue(name);
  }

  lagHistory(name: string, since?: string): LagHistory {
    this.puller(name);
    return { peer: name, samples: this.deps.lagHistory.samples(name, since === undefined ? 0 : Date.parse(since)) };
  }

  /** Deletes the copies whose propagation delay has passed (every peer not held by its brake). */
  async applyDueDeletions(): Promise<void> {
    for (const p of this.pullers.values()) await p.propagation.applyDue();
  }

  list(): PeerStatus[] {
    return [...this.pullers.values()].map((p) => p.status());
  }

  status(name: string): PeerStatus {
    return this.puller(name).status();
  }

  /** A full pull now (or the one running); with `wait`, answers when it has ended. */
  async replicate(name: string, wait: boolean): Promise<ReplicateResponse> {
    const info = this.deps.peers.get(name);
    if (info.repairOnly === true) throw new HavenError('PEER_REPAIR_ONLY', { name });
    if (isPaused(info)) throw new HavenError('PEER_PAUSED', { name });
    const run = this.puller(name).replicate();
    if (wait) return { ...(await run.done), task: run.task };
    const s = this.status(name);
    return { peer: name, pulled: 0, behind: s.snapshotsBehind, objectsFetched: 0, bytesFetched: 0, task: run.task };
  }

  /**
   * Raises the lag alert of every peer that is behind or failing and has made no progress
   * for longer than its lag-alert duration, whatever the cause (source unreachable, token revoked, certificate changed),
   * and clears it once the peer makes progress again.
   */
  checkLag(): void {
    const now = this.deps.now();
    for (const p of this.pullers.values()) {
      const s = p.status();
      if (s.peer.repairOnly === true) continue;
      const limitMs = parseDuration(s.peer.lagAlert);
      const since = Date.parse(s.lastProgress ?? s.peer.added);
      const stalledMs = now - since;
      // A quiet source is not a stalled peer: without an error or anything behind, a follower
      // waiting in its long poll is up to date however long ago its last change came.
      const stuck = s.lastError !== null || s.snapshotsBehind > 0;
      if (!stuck || stalledMs <= limitMs) {
        this.deps.alerts.clear(alertKey(s.peer.name));
        continue;
      }
      const paused = pauseReason(s.peer);
      const why = paused ?? (s.lastError ? `last error: ${s.lastError.message}` : 'no error reported');
      this.deps.alerts.raise(alertKey(s.peer.name), {
        severity: 'warning',
        subject: `replication from ${s.peer.name}`,
        message: `No replication progress from ${s.peer.name} for ${Math.round(stalledMs / 60_000)} min (limit ${s.peer.lagAlert}); ${s.snapshotsBehind} snapshot(s) behind; ${why}`,
        evidence: { snapshotsBehind: s.snapshotsBehind },
      });
    }
  }

  metrics(): MetricFamily[] {
    const all = this.list();
    const per = (value: (s: PeerStatus) => number) => all.map((s) => ({ labels: { peer: s.peer.name }, value: value(s) }));
    return [
      gauge('haven_replication_lag_seconds', 'Seconds since the oldest source snapshot the offsite lacks was committed (0: up to date)', per((s) => s.lagSeconds)),
      gauge('haven_replication_snapshots_behind', 'Source snapshots the offsite lacks, as of the last look', per((s) => s.snapshotsBehind)),
      gauge('haven_replication_last_progress_timestamp_seconds', 'When the peer last pulled a snapshot or found itself up to date (Unix seconds)',
        all.filter((s) => s.lastProgress !== null).map((s) => ({ labels: { peer: s.peer.name }, value: Date.parse(s.lastProgress as string) / 1000 }))),
      gauge('haven_replication_failing', 'Whether the peer\'s last attempt failed', per((s) => (s.state === 'failing' ? 1 : 0))),
      counter('haven_replication_snapshots_pulled_total', 'Snapshots committed from the peer', per((s) => s.snapshotsPulled)),
      counter('haven_replication_fetched_bytes_total', 'Bytes of verified objects received from the peer', per((s) => s.bytesFetched)),
      gauge('haven_replication_pending_deletions', 'Snapshots deleted on the source whose copies wait for the propagation delay', per((s) => s.pendingDeletions.length)),
      gauge('haven_replication_deletes_paused', 'Whether the deletion brake holds propagation until an admin resumes it', per((s) => (s.deletesPaused ? 1 : 0))),
      gauge('haven_replication_paused', 'Whether an admin paused the peer (no follow, no scheduled run)', per((s) => (s.state === 'paused' ? 1 : 0))),
      gauge('haven_replication_outside_window', 'Whether the peer waits for one of its time windows', per((s) => (s.outsideWindowUntil !== null ? 1 : 0))),
    ];
  }
}

function checkCron(pattern: string): void {
  try {
    new Cron(pattern, { paused: true }).stop();
  } catch (err) {
    throw new HavenError('VALIDATION_FAILED', { detail: `schedule ${JSON.stringify(pattern)} is not a cron expression: ${(err as Error).message}` });
  }
}

