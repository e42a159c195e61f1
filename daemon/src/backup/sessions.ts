// Backup sessions: the unit a client pushes in (DESIGN section 3). A session's record and
// its pins are the store's (SessionStore: records persist, pins stay in memory); its live
// counters live here. Pins are the digests a `has` answered "present": a garbage collector
// must treat them as roots while the session is open.

import { randomBytes } from 'node:crypto';
import { HavenError } from '../../../core/src/errors.js';
import { emptySessionStats, type SessionInfo, type StartBackupRequest } from '../../../core/src/api/backup.js';
import type { EventBus } from '../events.js';
import type { Datastore } from '../store/datastore.js';
import type { StorePosition } from '../store/chunk-store.js';
import { Histogram } from '../metrics/histogram.js';
import { TreePrecheck } from './tree-precheck.js';

export interface LiveSession {
  info: SessionInfo;
  pins: Set<string>;
  /** The session's trees checked as they arrive (commits walk only what it has not vouched for). */
  precheck: TreePrecheck;
  activeStreams: number;
  /** Set while a commit runs, so a second commit or an abort cannot interleave. */
  committing: boolean;
  /** Digest of the group's newest snapshot when the session started. */
  parent: string | null;
  /**
   * Where the store's appends stood when the session began (or was resumed here): what it
   * uploads lies after it, and a collector condemns nothing from there on while it is open.
   */
  startedAt: StorePosition;
  lastProgress: number;
}

/** What a garbage collector must keep for one open session (see daemon/src/gc/roots.ts). */
export interface SessionRoots {
  id: string;
  parent: string | null;
  pins: ReadonlySet<string>;
  startedAt: StorePosition;
}


export interface SessionsOptions {
  idleSeconds: number;
  now?: () => number;
}

const PROGRESS_INTERVAL_MS = 250;

/** Seconds: a `has` answer normally takes well under a millisecond; a stalled loop, seconds. */
export const HAS_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Sessions {
  private readonly live = new Map<string, LiveSession>();
  private readonly now: () => number;
  /** How long `has` requests took, from their arrival to their answer (haven_ingest_has_duration_seconds). */
  readonly hasLatency = new Histogram(HAS_SECONDS_BUCKETS);

  constructor(
    private readonly store: Pick<Datastore, 'objects' | 'sessions' | 'quarantine'>,
    private readonly bus: EventBus,
    private readonly options: SessionsOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(req: StartBackupRequest, parent: string | null): LiveSession {
    const time = new Date(this.now()).toISOString();
    const info: SessionInfo = {
      id: randomBytes(16).toString('hex'),
      group: req.group,
      host: req.host,
      paths: req.paths,
      tags: req.tags,
      state: 'open',
      started: time,
      updated: time,
      stats: emptySessionStats(),
    };
    const s = this.track(info, parent);
    this.store.sessions.save(info);
    this.bus.emit('session.started', info);
    return s;
  }

  /** Holds a session open in memory, with its pins and the check of its trees. */
  private track(info: SessionInfo, parent: string | null): LiveSession {
    const pins = this.store.sessions.pins(info.id);
    const precheck = new TreePrecheck(this.store.objects, pins, () => this.store.objects.removalGeneration, (d) => this.store.quarantine.isQuarantined(d));
    const s: LiveSession = { info, pins, precheck, activeStreams: 0, committing: false, parent, startedAt: this.store.objects.position(), lastProgress: 0 };
    this.live.set(info.id, s);
    return s;
  }

  /** The session's record, live or persisted. */
  find(id: string): SessionInfo {
    const s = this.live.get(id);
    if (s) return s.info;
    const stored = this.store.sessions.get(id);
    if (!stored) throw new HavenError('SESSION_NOT_FOUND', { id });
    return stored;
  }

  /** An open session to work in; a persisted open one (from before a restart) is resumed. */
  open(id: string): LiveSession {
    let s = this.live.get(id);
    if (!s) {
      const stored = this.store.sessions.get(id);
      if (!stored) throw new HavenError('SESSION_NOT_FOUND', { id });
      if (stored.state !== 'open') throw new HavenError('SESSION_CLOSED', { id, state: stored.state });
      s = this.track({ ...stored, stats: { ...stored.stats } }, null);
    }
    if (s.info.state !== 'open' || s.committing) throw new HavenError('SESSION_CLOSED', { id, state: s.committing ? 'committing' : s.info.state });
    return s;
  }

  /**
   * Answers a has batch (32-byte digests) with a bitmap, LSB first; pins what is present.
   * A quarantined object is absent (isIndexed), so the client uploads it again.
   */
  has(s: LiveSession, digests: Buffer): Buffer {
    const n = digests.length / 32;
    const bitmap = Buffer.alloc(Math.ceil(n / 8));
    let present = 0;
    for (let i = 0; i < n; i++) {
      const d = digests.subarray(i * 32, i * 32 + 32);
      if (this.store.objects.isIndexed(d)) {
        bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
        s.pins.add(d.toString('latin1'));
        present++;
      }
    }
    s.info.stats.hasQueried += n;
    s.info.stats.hasPresent += present;
    this.touch(s);
    return bitmap;
  }

  /** Bumps the updated time and emits a throttled progress event. */
  touch(s: LiveSession, force = false): void {
    const now = this.now();
    s.info.updated = new Date(now).toISOString();
    if (force || now - s.lastProgress >= PROGRESS_INTERVAL_MS) {
      s.lastProgress = now;
      this.bus.emit('session.progress', s.info);
    }
  }

  persist(s: LiveSession): void {
    this.store.sessions.save(s.info);
  }

  /** Marks a session committed; the caller commits the record within its snapshot transaction. */
  committed(s: LiveSession, snapshot: string): SessionInfo {
    s.info = { ...s.info, state: 'committed', snapshot, updated: new Date(this.now()).toISOString() };
    this.forget(s.info.id);
    this.bus.emit('session.ended', s.info);
    return s.info;
  }

  /** Ends a session's life in memory, pins included. */
  private forget(id: string): void {
    this.live.delete(id);
    this.store.sessions.release(id);
  }

  abort(id: string, reason: string): SessionInfo {
    const s = this.open(id);
    s.info = { ...s.info, state: 'aborted', reason, updated: new Date(this.now()).toISOString() };
    // Stays in memory (closed) until its record is committed, so no request in between
    // can mistake it for an unknown session.
    void this.store.sessions.save(s.info).then(() => this.forget(id));
    this.bus.emit('session.ended', s.info);
    return s.info;
  }

  /** Aborts open sessions idle for longer than the configured limit. */
  expireIdle(): number {
    const limit = this.now() - this.options.idleSeconds * 1000;
    let n = 0;
    for (const s of [...this.live.values()]) {
      if (s.info.state === 'open' && s.activeStreams === 0 && !s.committing && Date.parse(s.info.updated) < limit) {
        this.abort(s.info.id, 'idle timeout');
        n++;
      }
    }
    return n;
  }

  /** Every open session (the UI's live view; shutdown ends them). */
  openSessions(): SessionInfo[] {
    return [...this.live.values()].filter((s) => s.info.state === 'open').map((s) => s.info);
  }

  /** Open sessions as a collector sees them: pins, parent, where their uploads begin. */
  roots(): SessionRoots[] {
    return [...this.live.values()]
      .filter((s) => s.info.state === 'open')
      .map((s) => ({ id: s.info.id, parent: s.parent, pins: s.pins, startedAt: s.startedAt }));
  }

  /** Whether a session is still open here (a collector waits for those open at its last run). */
  isOpen(id: string): boolean {
    return this.live.get(id)?.info.state === 'open';
  }
}
