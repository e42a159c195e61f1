// The live state: one WebSocket to /api/v1/live. The server sends the full state on every
// connect, then events; this store applies each event to the state (the reducer below) and
// reconnects with backoff, resyncing from the fresh full state. Pages that hold REST data
// of their own subscribe to the events to keep it current.

import { LIVE_CLOSE, LIVE_PATH, LIVE_TASKS, type LiveEvent, type LiveMessage, type LiveState } from '$core/api/live.js';
import type { GroupSummary } from '$core/api/snapshots.js';

export type LiveStatus = 'connecting' | 'live' | 'offline';

/** Log lines kept per task in the browser (the daemon keeps a bounded tail too). */
const TASK_LOG_LINES = 500;

/** Replaces the item with the same id, or adds it (first when `prepend`). */
function upsert<T extends { id: string }>(list: T[], item: T, prepend = false): void {
  const i = list.findIndex((x) => x.id === item.id);
  if (i >= 0) list[i] = item;
  else if (prepend) list.unshift(item);
  else list.push(item);
}

const MAX_BACKOFF_MS = 10_000;
const CLOCK_TICK_MS = 15_000;

function isLiveMessage(v: unknown): v is LiveMessage {
  if (typeof v !== 'object' || v === null || !('type' in v)) return false;
  if (v.type === 'state') return 'state' in v && typeof v.state === 'object' && v.state !== null;
  return v.type === 'event' && 'name' in v && typeof v.name === 'string' && 'data' in v;
}

export class LiveStore {
  status = $state<LiveStatus>('connecting');
  state = $state<LiveState | null>(null);
  /** The server's clock (ms), ticking: ages are computed against it, not the browser's. */
  now = $state(Date.now());

  private skew = 0;
  private socket: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private clock: ReturnType<typeof setInterval> | null = null;
  private running = false;
  private readonly listeners = new Set<(e: LiveEvent) => void>();

  constructor(
    private readonly hooks: {
      /** The socket was closed because the browser session ended. */
      sessionEnded: () => void;
      /** Fresh group summaries (after a deletion, the newest snapshot of a group is not in the event). */
      fetchGroups: () => Promise<GroupSummary[]>;
    },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.clock = setInterval(() => (this.now = Date.now() + this.skew), CLOCK_TICK_MS);
    this.open();
  }

  stop(): void {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.clock) clearInterval(this.clock);
    this.socket?.close(1000);
    this.socket = null;
    this.state = null;
    this.status = 'connecting';
  }

  /** Calls `fn` for every event after it is applied; returns the unsubscribe function. */
  subscribe(fn: (e: LiveEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private open(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}${LIVE_PATH}`);
    this.socket = socket;
    this.status = 'connecting';
    socket.onmessage = (m) => {
      if (typeof m.data !== 'string') return;
      let msg: unknown;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return; // not ours to interpret; the next full state will be right
      }
      if (isLiveMessage(msg)) this.receive(msg);
    };
    socket.onclose = (e) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.status = 'offline';
      if (!this.running) return;
      if (e.code === LIVE_CLOSE.sessionEnded) {
        this.hooks.sessionEnded();
        return;
      }
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt++);
      this.retryTimer = setTimeout(() => this.open(), delay);
    };
  }

  private receive(msg: LiveMessage): void {
    if (msg.type === 'state') {
      this.skew = Date.parse(msg.state.time) - Date.now();
      this.now = Date.now() + this.skew;
      this.state = msg.state;
      this.status = 'live';
      this.attempt = 0;
      return;
    }
    if (this.state) this.apply(this.state, msg);
    for (const fn of this.listeners) fn(msg);
  }

  /** The reducer: each event's effect on the state. */
  private apply(s: LiveState, e: LiveEvent): void {
    switch (e.name) {
      case 'session.started':
      case 'session.progress': {
        const i = s.sessions.findIndex((x) => x.id === e.data.id);
        if (i >= 0) s.sessions[i] = e.data;
        else s.sessions.push(e.data);
        break;
      }
      case 'session.ended':
        s.sessions = s.sessions.filter((x) => x.id !== e.data.id);
        break;
      case 'snapshot.committed': {
        const g = s.groups.find((x) => x.name === e.data.group);
        if (!g) s.groups.push({ name: e.data.group, snapshots: 1, latest: e.data });
        else {
          g.snapshots += 1;
          if (!g.latest || g.latest.time <= e.data.time) g.latest = e.data;
        }
        break;
      }
      case 'snapshot.changed': {
        const g = s.groups.find((x) => x.name === e.data.group);
        if (g?.latest?.id === e.data.id) g.latest = e.data;
        break;
      }
      case 'snapshot.deleted':
        void this.hooks.fetchGroups().then(
          (groups) => {
            if (this.state) this.state.groups = groups;
          },
          () => undefined, // offline: the next connect brings the full state anyway
        );
        break;
      case 'datastore.usage':
        s.datastore = e.data;
        break;
      case 'disk.added':
      case 'disk.changed':
        upsert(s.disks, e.data);
        break;
      case 'disk.removed':
        if (e.data.purged) s.disks = s.disks.filter((d) => d.id !== e.data.id);
        else upsert(s.disks, e.data);
        break;
      case 'smart.updated': {
        // the disk's own record follows with disk.changed when its health changed; this
        // keeps the reading's time and temperature current in between
        const d = s.disks.find((x) => x.id === e.data.diskId);
        if (d) {
          d.health.checkedAt = e.data.checkedAt;
          d.health.temperatureC = e.data.record?.temperatureC ?? d.health.temperatureC;
        }
        break;
      }
      case 'alert.raised':
      case 'alert.changed':
        upsert(s.alerts, e.data, true);
        break;
      case 'alert.cleared':
        s.alerts = s.alerts.filter((a) => a.id !== e.data.id);
        break;
      case 'task.started':
        upsert(s.tasks, e.data, true);
        if (s.tasks.length > LIVE_TASKS) s.tasks.length = LIVE_TASKS;
        break;
      case 'task.ended':
        upsert(s.tasks, e.data, true);
        break;
      case 'task.progress': {
        const t = s.tasks.find((x) => x.id === e.data.id);
        if (t) {
          t.progress = e.data.progress;
          t.progressMessage = e.data.message;
        }
        break;
      }
      case 'pool.changed':
        s.pool = e.data;
        break;
      case 'task.log': {
        const t = s.tasks.find((x) => x.id === e.data.id);
        if (t) {
          t.log.push(e.data.line);
          if (t.log.length > TASK_LOG_LINES) t.log.splice(0, t.log.length - TASK_LOG_LINES);
        }
        break;
      }
    }
  }
}
