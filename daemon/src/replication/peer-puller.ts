// One peer's replication on the offsite: a full pull (list the source's snapshots of the
// covered groups, newest first, and pull each one the offsite lacks and did not delete
// itself), and follow mode (long-poll the source's change feed from the cursor kept in the
// state db, and pull what it names within seconds). Every pull that brings something runs
// as a task with a log. Deletions and protection changes on the source go to
// deletion-propagation.ts (by default deletions are logged, never propagated: ransomware
// safety, DESIGN section 4); the time windows and bandwidth limit to peer-gate.ts.
//
// Snapshot pulls of one peer run one at a time (a one-shot pull and the follow loop may name
// the same snapshot): the second finds it committed and moves on.

import type { Logger } from 'pino';
import { HavenError } from '../../../core/src/errors.js';
import type { InFlightPull, QueuedSnapshot } from '../../../core/src/api/peer-activity.js';
import type { FeedCursor, PeerInfo, PeerStatus, ReplicateResponse } from '../../../core/src/api/replication.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { Catalog } from '../backup/catalog.js';
import type { TaskContext, TaskRegistry } from '../jobs/tasks.js';
import type { SnapshotCatalog } from '../store/store-api.js';
import type { DeletionPropagation, Vanished } from './deletion-propagation.js';
import type { PeerGate } from './peer-gate.js';
import { FOLLOW, type PeerProgress, type PeerStore } from './peer-store.js';
import { pullSnapshot, type PullDeps } from './snapshot-pull.js';
import { SourceClient } from './source-client.js';

export const PULL_TASK_KIND = 'replication.pull';
/** Seconds a follow-mode poll waits on the source for a change. */
const FOLLOW_WAIT_SECONDS = 25;
const MAX_BACKOFF_MS = 60_000;
const PROGRESS_SAVE_MS = 2_000;

export interface PeerPullerDeps {
  peer: PeerInfo;
  token: string;
  peers: PeerStore;
  /** What every snapshot pull needs besides the source and the peer's naming. */
  pull: Omit<PullDeps, 'peer' | 'source' | 'localGroup' | 'log' | 'onRetry' | 'onFetched'>;
  /** The offsite's catalogue: protection of pulled snapshots, group clash checks. */
  catalog: Pick<Catalog, 'protect'>;
  localCatalog: Pick<SnapshotCatalog, 'get' | 'latest'>;
  tasks: TaskRegistry;
  streams: number;
  now: () => number;
  log: Logger;
  /** Time windows and bandwidth limit (built from `peer`, updated with it). */
  gate: PeerGate;
  /** Deletions and protection changes on the source. */
  propagation: DeletionPropagation;
}

type Log = (message: string, level?: 'info' | 'warn' | 'error') => void;

export class PeerPuller {
  private readonly source: SourceClient;
  private progress: PeerProgress;
  /** Snapshots known on the source that the offsite lacks, with their commit time (lag). */
  private readonly pending = new Map<string, number>();
  /** The source group of each of them (a listing of a group settles its entries). */
  private readonly pendingGroups = new Map<string, string>();
  private state: PeerStatus['state'] = 'idle';
  private chain: Promise<unknown> = Promise.resolve();
  private current: { task: string; done: Promise<ReplicateResponse> } | null = null;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  /** Deletions on the source already logged (each once per process). */
  private readonly deletionsLogged = new Set<string>();
  private lastSaved = 0;
  /** The snapshot being pulled, with what has arrived of it (the queue shows it). */
  private inFlight: InFlightPull | null = null;

  constructor(private readonly deps: PeerPullerDeps) {
    const { peer } = deps;
    this.source = new SourceClient({ url: peer.url, token: deps.token, fingerprint: peer.fingerprint, streams: deps.streams });
    this.progress = deps.peers.progress(peer.name);
  }

  get name(): string {
    return this.deps.peer.name;
  }

  start(): void {
    if (this.deps.peer.schedule === FOLLOW) this.loop = this.follow();
  }

  /** The peer was edited: its windows and limit apply from now on, to a pull under way too. */
  update(peer: PeerInfo): void {
    this.deps.peer = peer;
    this.deps.gate.update(peer);
  }

  get propagation(): DeletionPropagation {
    return this.deps.propagation;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.deps.gate.close();
    this.source.close();
    await this.loop;
    await this.current?.done.catch(() => undefined);
  }

  localGroup(group: string): string {
    return `${this.deps.peer.groupPrefix ?? ''}${group}`;
  }

  /** Why a source group cannot come to this offsite (another source feeds it, or it is local), or null. */
  clash(group: string): HavenError | null {
    const local = this.localGroup(group);
    const owner = this.deps.peers.ownerOf(local);
    if (owner === this.name) return null;
    const other = owner !== undefined ? `peer ${owner}` : this.deps.localCatalog.latest(local) ? 'a local group' : null;
    return other === null ? null : new HavenError('PEER_GROUP_CLASH', { group: local, name: this.name, other });
  }

  private covers(group: string): boolean {
    const only = this.deps.peer.groups;
    return only === null || only.includes(group);
  }

  status(): PeerStatus {
    const oldest = Math.min(...this.pending.values());
    const waiting = this.deps.gate.outsideUntil;
    return {
      peer: this.deps.peer,
      state: this.deps.gate.isPaused ? 'paused' : waiting !== null ? 'waiting' : this.state,
      cursor: this.progress.cursor,
      snapshotsBehind: this.pending.size,
      lagSeconds: this.pending.size === 0 ? 0 : Math.max(0, (this.deps.now() - oldest) / 1000),
      snapshotsPulled: this.progress.snapshotsPulled,
      objectsFetched: this.progress.objectsFetched,
      bytesFetched: this.progress.bytesFetched,
      lastProgress: this.progress.lastProgress,
      lastError: this.progress.lastError,
      outsideWindowUntil: waiting === null ? null : new Date(waiting).toISOString(),
      pendingDeletions: this.deps.propagation.pending(),
      deletesPaused: this.deps.propagation.paused(),
    };
  }

  /** The source's groups this peer covers (the add-time clash check uses it too). */
  async sourceGroups(): Promise<string[]> {
    return (await this.source.groups()).groups.map((g) => g.name).filter((g) => this.covers(g));
  }

  get pulling(): InFlightPull | null {
    return this.inFlight === null ? null : { ...this.inFlight };
  }

  /**
   * Asks the source what the offsite lacks of the covered groups (oldest first) without
   * pulling it: the queue, and the lag of a peer that is not pulling (paused, or between two
   * scheduled runs). The snapshots behind are set from it, for the groups it could list.
   */
  async look(): Promise<QueuedSnapshot[]> {
    const found: QueuedSnapshot[] = [];
    const listed = new Set<string>();
    for (const group of await this.sourceGroups()) {
      if (this.clash(group)) continue;
      listed.add(group);
      for (const s of (await this.source.snapshots(group)).snapshots) {
        if (this.wanted(s, (m) => this.deps.log.info({ peer: this.name }, `replication: ${m}`))) found.push({ snapshot: s.id, group: s.group, time: s.time });
      }
    }
    const seen = new Set(found.map((q) => q.snapshot));
    // Gone from the source's listing (deleted there) or brought meanwhile: no longer behind.
    for (const [id, group] of [...this.pendingGroups]) {
      if (!seen.has(id) && listed.has(group) && id !== this.inFlight?.snapshot) this.forgetPending(id);
    }
    for (const q of found) this.notePending(q.snapshot, q.group, Date.parse(q.time));
    return found.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  }

  private notePending(id: string, group: string, time: number): void {
    this.pending.set(id, time);
    this.pendingGroups.set(id, group);
  }

  private forgetPending(id: string): void {
    this.pending.delete(id);
    this.pendingGroups.delete(id);
  }

  /** Starts a full pull as a task, or joins the one running. */
  replicate(): { task: string; done: Promise<ReplicateResponse> } {
    if (this.current) return this.current;
    let resolveDone!: (r: ReplicateResponse) => void;
    let rejectDone!: (e: unknown) => void;
    const done = new Promise<ReplicateResponse>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    const info = this.deps.tasks.run({ kind: PULL_TASK_KIND, title: `Replicate from ${this.name}`, subject: this.name }, async (ctx) => {
      try {
        const r = await this.fullPull(ctx);
        resolveDone({ ...r, task: ctx.id });
        if (r.behind > 0) throw new HavenError('REPLICATION_INCOMPLETE', { name: this.name, count: r.behind, detail: this.progress.lastError?.message ?? 'see the task log' });
        return `pulled ${r.pulled} snapshot(s), ${r.objectsFetched} object(s); nothing behind`;
      } catch (err) {
        rejectDone(err);
        throw err;
      } finally {
        this.current = null;
      }
    });
    this.current = { task: info.id, done };
    done.catch(() => undefined);
    return this.current;
  }

  /** Everything the source has of the covered groups now, newest first; then the cursor moves to where the listing began. */
  private async fullPull(ctx: TaskContext): Promise<Omit<ReplicateResponse, 'task'>> {
    const log: Log = (m, level = 'info') => ctx.log(m, level);
    await this.inWindow(ctx, log);
    const before = { objects: this.progress.objectsFetched, bytes: this.progress.bytesFetched };
    // Where the feed stands before the listing: changes after it are seen by the next poll.
    const head = await this.feedHead();
    const all: SnapshotSummary[] = [];
    const listed = new Set<string>();
    const clashes: HavenError[] = [];
    for (const group of await this.sourceGroups()) {
      const clash = this.clash(group);
      if (clash) {
        // The group is left out; the others go on (and the peer's status keeps saying why).
        log(clash.message, 'error');
        clashes.push(clash);
        continue;
      }
      all.push(...(await this.source.snapshots(group)).snapshots);
      listed.add(group);
    }
    await this.followSource(all, listed, log);
    all.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    const wanted = all.filter((s) => this.wanted(s, log));
    for (const s of wanted) this.notePending(s.id, s.group, Date.parse(s.time));
    log(`${all.length} snapshot(s) on the source, ${wanted.length} to pull`);
    let pulled = 0;
    let failed: unknown = null;
    for (const [i, s] of wanted.entries()) {
      if (ctx.signal.aborted || this.stopping.signal.aborted) break;
      await this.inWindow(ctx, log);
      if (ctx.signal.aborted || this.stopping.signal.aborted) break;
      ctx.progress(i / wanted.length, `snapshot ${i + 1} of ${wanted.length}`);
      try {
        if (await this.pullOne(s, log)) pulled++;
      } catch (err) {
        // One snapshot's failure does not stop the others (PBS stops a group at its first error).
        failed = err;
        log(`snapshot ${s.id.slice(0, 12)}: ${(err as Error).message}`, 'error');
        this.noteError(err);
      }
    }
    const behind = wanted.filter((s) => this.pending.has(s.id)).length;
    if (behind === 0 && failed === null) {
      this.progress.cursor = newer(this.progress.cursor, head);
      this.progress.lastProgress = new Date(this.deps.now()).toISOString();
      this.progress.lastError = null;
    }
    if (clashes.length > 0) this.noteError(clashes[0]);
    await this.save();
    if (behind === 0 && failed === null) await this.confirm();
    return {
      peer: this.name, pulled, behind,
      objectsFetched: this.progress.objectsFetched - before.objects, bytesFetched: this.progress.bytesFetched - before.bytes,
    };
  }

  /** Waits for a time window (saying so in the task) before going on. */
  private async inWindow(ctx: TaskContext, log: Log): Promise<void> {
    const signal = AbortSignal.any([ctx.signal, this.stopping.signal]);
    const waited = this.deps.gate.open(signal);
    const until = this.deps.gate.outsideUntil;
    if (until !== null) log(`outside every time window: waiting until ${new Date(until).toISOString()}`);
    await waited;
  }

  /** A full listing of the source: what vanished from it (deletions) and its protected flags, applied to the copies. */
  private async followSource(all: readonly SnapshotSummary[], listed: ReadonlySet<string>, log: Log): Promise<void> {
    const present = new Set(all.map((s) => s.id));
    const vanished = this.deps.propagation.vanishedFrom(present, listed, (g) => this.localGroup(g));
    await this.deps.propagation.sourceDeleted(vanished, log);
    for (const s of all) await this.deps.propagation.protection(s.id, s.protected === true, log);
  }

  /** Whether the offsite should pull this snapshot: covered, not here, not deleted here. */
  private wanted(s: SnapshotSummary, log: Log): boolean {
    if (!this.covers(s.group)) return false;
    const pulled = this.deps.peers.pulledSnapshot(this.name, s.id);
    if (pulled) {
      if (!this.deps.localCatalog.get(pulled.local) && !this.deletionsLogged.has(s.id)) {
        this.deletionsLogged.add(s.id);
        log(`snapshot ${s.id.slice(0, 12)} was deleted on this appliance after it was pulled: not fetched again`);
      }
      return false;
    }
    return true;
  }

  /** Pulls one snapshot (one at a time per peer); false when it was here already. */
  private pullOne(s: SnapshotSummary, log: Log): Promise<boolean> {
    const run = this.chain.then(async () => {
      if (this.deps.peers.pulledSnapshot(this.name, s.id)) return false;
      const clash = this.clash(s.group);
      if (clash) throw clash;
      this.state = 'pulling';
      await this.deps.peers.claim(this.localGroup(s.group), this.name);
      this.inFlight = { snapshot: s.id, group: s.group, time: s.time, started: new Date(this.deps.now()).toISOString(), objectsFetched: 0, bytesFetched: 0 };
      const result = await pullSnapshot(this.pullDeps(log), s).finally(() => {
        this.inFlight = null;
      });
      await this.deps.peers.notePulled(this.name, s.id, result.local);
      // The protected flag travels with the snapshot (its later changes do not, in this slice).
      if (s.protected) await this.deps.catalog.protect(result.local, `replication:${this.name}`);
      this.forgetPending(s.id);
      if (result.committed) {
        this.progress.snapshotsPulled++;
        this.progress.lastProgress = new Date(this.deps.now()).toISOString();
        log(`snapshot ${s.id.slice(0, 12)} of ${s.group} (${s.time}) committed as ${result.local.slice(0, 12)}`);
      }
      this.state = 'idle';
      await this.save();
      return result.committed;
    });
    this.chain = run.catch(() => {
      this.state = 'failing';
    });
    return run;
  }

  private pullDeps(log: Log): PullDeps {
    return {
      ...this.deps.pull,
      peer: this.name,
      source: this.source,
      pace: this.deps.gate,
      localGroup: (g) => this.localGroup(g),
      log: (m) => log(m),
      onRetry: (err, remaining) => log(`a stream failed (${err.code}: ${err.message}); ${remaining} object(s) of it are asked for again`, 'warn'),
      onFetched: (objects, bytes) => {
        this.progress.objectsFetched += objects;
        this.progress.bytesFetched += bytes;
        if (this.inFlight) {
          this.inFlight.objectsFetched += objects;
          this.inFlight.bytesFetched += bytes;
        }
        this.saveSoon();
      },
    };
  }

  /**
   * The feed's current end, asked from the kept cursor (or from the start after a reset). The
   * source takes the cursor of every changes request as what this offsite has committed, so
   * no request may name a position past what is committed here: the head comes with the page.
   */
  private async feedHead(): Promise<FeedCursor> {
    const page = await this.source.changes(this.progress.cursor, 0);
    if (page.reset) this.progress.cursor = null;
    return page.head;
  }

  /**
   * Tells the source what is committed here: it reads the cursor of each changes request as
   * this offsite's confirmation, and a scheduled peer would otherwise say so only at its next pull.
   */
  private async confirm(): Promise<void> {
    try {
      await this.source.changes(this.progress.cursor, 0);
    } catch (err) {
      this.deps.log.warn({ err, peer: this.name }, 'replication: could not confirm the pull to the source; the next request will');
    }
  }

  /** Follow mode: poll the feed from the cursor; a full pull first (and after a reset). */
  private async follow(): Promise<void> {
    let backoff = 1000;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await this.deps.gate.open(signal);
        if (signal.aborted) break;
        if (this.progress.cursor === null) {
          const r = await this.replicate().done;
          if (r.behind > 0) throw new HavenError('REPLICATION_INCOMPLETE', { name: this.name, count: r.behind, detail: this.progress.lastError?.message ?? 'see the task log' });
        } else await this.followOnce(this.progress.cursor);
        backoff = 1000;
      } catch (err) {
        if (signal.aborted) break;
        this.noteError(err);
        this.deps.log.warn({ err, peer: this.name }, 'replication: pull failed; retrying');
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async followOnce(cursor: FeedCursor): Promise<void> {
    const page = await this.source.changes(cursor, FOLLOW_WAIT_SECONDS);
    if (page.reset) {
      // The source's index was rebuilt: its feed starts over; list everything again.
      this.deps.log.info({ peer: this.name }, 'replication: the source started a new feed epoch; listing again');
      this.progress.cursor = null;
      return;
    }
    const committed: SnapshotSummary[] = [];
    const deleted: Vanished[] = [];
    const log: Log = (m, level = 'info') => this.deps.log[level]({ peer: this.name }, `replication: ${m}`);
    for (const c of page.changes) {
      if (!this.covers(c.group)) continue;
      if (c.type === 'deleted') {
        deleted.push({ snapshot: c.snapshot, group: c.group });
        continue;
      }
      if (c.type === 'protected' || c.type === 'unprotected') {
        await this.deps.propagation.protection(c.snapshot, c.type === 'protected', log);
        continue;
      }
      if (this.deps.peers.pulledSnapshot(this.name, c.snapshot)) continue;
      try {
        committed.push(await this.source.snapshot(c.snapshot));
      } catch (err) {
        if (!(err instanceof HavenError && err.code === 'SNAPSHOT_NOT_FOUND')) throw err;
        this.deps.log.info({ peer: this.name, snapshot: c.snapshot }, 'replication: snapshot gone from the source before it was pulled; abandoned');
      }
    }
    // The deletions of one page are weighed at once by the brake.
    await this.deps.propagation.sourceDeleted(deleted, log);
    for (const s of committed) this.notePending(s.id, s.group, Date.parse(s.time));
    if (committed.length > 0) await this.pullAsTask(committed.reverse());
    this.progress.cursor = page.cursor;
    this.progress.lastProgress = new Date(this.deps.now()).toISOString();
    this.progress.lastError = null;
    this.state = 'idle';
    await this.save();
  }

  /** Pulls the snapshots the feed named (newest first) as one task; throws if any failed. */
  private async pullAsTask(snapshots: SnapshotSummary[]): Promise<void> {
    const info = await this.deps.tasks.runAndWait({ kind: PULL_TASK_KIND, title: `Follow ${this.name}`, subject: this.name }, async (ctx) => {
      let n = 0;
      for (const s of snapshots) if (await this.pullOne(s, (m, level = 'info') => ctx.log(m, level))) n++;
      return `pulled ${n} snapshot(s)`;
    });
    if (info.status !== 'succeeded') throw new HavenError('REPLICATION_INCOMPLETE', { name: this.name, count: snapshots.length, detail: info.result ?? info.status });
  }

  private noteError(err: unknown): void {
    // Network failures are HavenErrors already (SERVER_UNREACHABLE, from the transport).
    const e = err instanceof HavenError ? err : new HavenError('RESPONSE_INVALID', { what: `replication from ${this.name}`, detail: (err as Error).message });
    this.state = 'failing';
    this.progress.lastError = { code: e.code, message: e.message, time: new Date(this.deps.now()).toISOString() };
    void this.save();
  }

  /**
   * Saves the counters at most every 2 s while objects arrive, so that the fetched-bytes
   * counter (a metric) survives a crash of the offsite but for its last seconds.
   */
  private saveSoon(): void {
    const now = this.deps.now();
    if (now - this.lastSaved < PROGRESS_SAVE_MS) return;
    this.lastSaved = now;
    void this.save().catch((err: unknown) => this.deps.log.warn({ err, peer: this.name }, 'replication: saving progress failed'));
  }

  private async save(): Promise<void> {
    await this.deps.peers.saveProgress(this.name, this.progress);
  }
}

function newer(a: FeedCursor | null, b: FeedCursor): FeedCursor {
  return a !== null && a.epoch === b.epoch && a.seq > b.seq ? a : b;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
