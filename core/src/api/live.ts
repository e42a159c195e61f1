// The one WebSocket (GET /api/v1/live): on connect the full state, then every bus event as a
// typed delta. A reconnecting client simply receives the full state again (resync), so the
// protocol needs no sequence numbers: one TCP connection loses nothing in between.
// Areas that land later (disks, SMART, alerts, tasks, pool, swap) add their part of the
// state here and their events to events.ts; the UI reduces both.

import type { SessionInfo } from './backup.js';
import type { DatastoreUsage } from './datastore.js';
import type { DiskRecord } from './disks.js';
import type { AlertInfo, TaskInfo } from './jobs.js';
import type { PoolStatus } from './pool.js';
import type { HavenEvents } from './events.js';
import type { SwapInfo } from './swap.js';
import type { GroupSummary } from './snapshots.js';

export const LIVE_PATH = '/api/v1/live';

export interface LiveState {
  version: string;
  /** Server clock when the state was taken (the UI computes ages against it). */
  time: string;
  datastore: DatastoreUsage;
  groups: GroupSummary[];
  /** Backup sessions still open. */
  sessions: SessionInfo[];
  /** Every known disk, archived (missing) ones included, with its health. */
  disks: DiskRecord[];
  /** Open alerts (cleared ones drop out; GET /alerts?cleared=true has them). */
  alerts: AlertInfo[];
  /** Running tasks and the most recent finished ones (at most LIVE_TASKS). */
  tasks: TaskInfo[];
  /** The pool's status as last announced (null until first read); GET /pool reads it fresh. */
  pool: PoolStatus | null;
  /** The disk swap in progress (swap.changed and swap.progress follow it). */
  swap: SwapInfo | null;
}

export const LIVE_TASKS = 50;

export type LiveEvent = { [K in keyof HavenEvents]: { type: 'event'; name: K; data: HavenEvents[K] } }[keyof HavenEvents];

export type LiveMessage = { type: 'state'; state: LiveState } | LiveEvent;

/** Close codes (4000-4999 are for applications, RFC 6455 section 7.4.2). */
export const LIVE_CLOSE = {
  /** The browser session ended (logout, expiry): sign in again rather than reconnect. */
  sessionEnded: 4401,
  /** The client fell too far behind; reconnect and resync. */
  tooSlow: 4408,
} as const;
