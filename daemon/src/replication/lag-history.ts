// Each peer's lag over time (the replication page's chart): a sample of its lag in seconds
// and snapshots behind every `jobs.lagCheckSeconds` (30 s) and when a pull ends, in the state
// db. Bounded: samples of the last 6 hours are kept as taken, older ones one per 10 minutes
// (the worst of them: a chart of the past must not hide a peak), none older than 7 days; at
// most about 6 h / the interval + 7 x 144 samples per peer (720 + 1008 at 30 s, 4320 + 1008
// at the 5 s minimum).
//
// A peer that is not pulling (paused, or between two scheduled runs) learns nothing from a
// feed, so the sampler asks its source what it lacks first: the lag of a paused peer keeps
// growing here, and its lag alert keeps counting (replication-service.ts).

import type { Database } from 'lmdb';
import type { Logger } from 'pino';
import type { LagSample } from '../../../core/src/api/peer-activity.js';
import type { PeerStatus } from '../../../core/src/api/replication.js';
import type { EventBus } from '../events.js';
import type { StateDb } from '../state/state-db.js';
import { PULL_TASK_KIND } from './peer-puller.js';
import { FOLLOW } from './peer-store.js';

const MINUTE = 60_000;
/** Samples younger than this are kept as taken. */
const RAW_MS = 6 * 60 * MINUTE;
/** Older samples: one per bucket. */
const BUCKET_MS = 10 * MINUTE;
const KEEP_MS = 7 * 24 * 60 * MINUTE;
/** The downsampling runs at most this often per peer (a range read of its older samples). */
const COMPACT_EVERY_MS = 10 * MINUTE;

interface StoredSample {
  lag: number;
  behind: number;
}

export class LagHistoryStore {
  private readonly db: Database<StoredSample, [string, number]>;
  private readonly compacted = new Map<string, number>();

  constructor(state: StateDb) {
    this.db = state.db<StoredSample, [string, number]>('peer-lag-history');
  }

  async record(peer: string, at: number, lagSeconds: number, snapshotsBehind: number): Promise<void> {
    await this.db.put([peer, at], { lag: Math.round(lagSeconds), behind: snapshotsBehind });
    if (at - (this.compacted.get(peer) ?? 0) >= COMPACT_EVERY_MS) {
      this.compacted.set(peer, at);
      await this.compact(peer, at);
    }
  }

  /** Oldest first, from `since` (ms). */
  samples(peer: string, since = 0): LagSample[] {
    return [...this.db.getRange({ start: [peer, since], end: [peer, Number.MAX_SAFE_INTEGER] })].map((e) => ({
      time: new Date(e.key[1]).toISOString(), lagSeconds: e.value.lag, snapshotsBehind: e.value.behind,
    }));
  }

  /** Drops samples past the horizon and keeps the worst of each bucket older than the raw span. */
  async compact(peer: string, now: number): Promise<void> {
    const drop: Array<[string, number]> = [];
    let bucket = -1;
    let kept: { key: [string, number]; lag: number } | null = null;
    for (const { key, value } of this.db.getRange({ start: [peer, 0], end: [peer, now - RAW_MS] })) {
      if (key[1] < now - KEEP_MS) {
        drop.push(key);
        continue;
      }
      const b = Math.floor(key[1] / BUCKET_MS);
      if (b !== bucket || kept === null) {
        bucket = b;
        kept = { key, lag: value.lag };
      } else if (value.lag > kept.lag) {
        drop.push(kept.key);
        kept = { key, lag: value.lag };
      } else drop.push(key);
    }
    // One commit for them all (lmdb batches the writes of one tick).
    await Promise.all(drop.map((key) => this.db.remove(key)));
  }

  async forget(peer: string): Promise<void> {
    await Promise.all([...this.db.getKeys({ start: [peer, 0], end: [peer, Number.MAX_SAFE_INTEGER] })].map((key) => this.db.remove(key)));
    this.compacted.delete(peer);
  }
}

export interface LagSamplerDeps {
  history: LagHistoryStore;
  /** The peers' current status, and a look at a peer's source (it updates the snapshots behind). */
  peers: { list(): PeerStatus[]; look(name: string): Promise<unknown> };
  bus: EventBus;
  now: () => number;
  log: Logger;
}

/** Takes the samples: `sampleAll` at each lag check (the area's repeat), and one of a peer when a pull of it ends. */
export class LagSampler {
  constructor(private readonly deps: LagSamplerDeps) {
    deps.bus.on(this, 'task.ended', (t) => {
      if (t.kind !== PULL_TASK_KIND || t.subject === null) return;
      const s = deps.peers.list().find((p) => p.peer.name === t.subject);
      if (s) void this.sample(s).catch((err: unknown) => deps.log.warn({ err, peer: s.peer.name }, 'replication: lag sample failed'));
    });
  }

  stop(): void {
    this.deps.bus.removeListeners(this);
  }

  async sampleAll(): Promise<void> {
    for (const s of this.deps.peers.list()) {
      if (s.peer.repairOnly === true) continue;
      const idle = s.state === 'paused' || (s.peer.schedule !== FOLLOW && s.state !== 'pulling');
      let current = s;
      if (idle) {
        try {
          await this.deps.peers.look(s.peer.name);
          current = this.deps.peers.list().find((p) => p.peer.name === s.peer.name) ?? s;
        } catch (err) {
          // The source is away: the sample keeps the last known count (the peer's error says why).
          this.deps.log.debug({ err, peer: s.peer.name }, 'replication: could not ask the source what is behind');
        }
      }
      await this.sample(current);
    }
  }

  private async sample(s: PeerStatus): Promise<void> {
    await this.deps.history.record(s.peer.name, this.deps.now(), s.lagSeconds, s.snapshotsBehind);
  }
}
