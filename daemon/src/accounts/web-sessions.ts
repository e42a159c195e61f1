// Browser sessions: the cookie holds a random 256-bit secret; the state database keeps only
// its SHA-256 (a leaked database yields no usable cookie), the account name and the times.
// A session ends after a day without use or a week after sign-in, or at logout.

import { createHash, randomBytes } from 'node:crypto';
import type { Database } from 'lmdb';
import type { StateDb } from '../state/state-db.js';

export const SESSION_IDLE_MS = 24 * 3600_000;
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
/** lastSeen is written at most this often: resolving sits on every request's path. */
const TOUCH_EVERY_MS = 60_000;

interface StoredSession {
  user: string;
  scopes: string[];
  created: number;
  lastSeen: number;
}

export interface WebSession {
  /** The SHA-256 of the secret (hex): names the session without revealing the cookie. */
  id: string;
  user: string;
  scopes: string[];
  expires: Date;
}

const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

function sessionId(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export class WebSessions {
  private readonly db: Database<StoredSession, string>;

  constructor(state: StateDb, private readonly now: () => number = Date.now) {
    this.db = state.db<StoredSession>('web-sessions');
  }

  /** Starts a session; the returned secret goes into the cookie and is never stored. */
  async create(user: string, scopes: string[]): Promise<{ secret: string; session: WebSession }> {
    const secret = randomBytes(32).toString('base64url');
    const t = this.now();
    const stored: StoredSession = { user, scopes, created: t, lastSeen: t };
    const id = sessionId(secret);
    await this.db.put(id, stored);
    return { secret, session: this.view(id, stored) };
  }

  /** The live session a cookie secret stands for, or null (unknown, expired or malformed). */
  resolve(secret: string): WebSession | null {
    if (!SECRET_RE.test(secret)) return null;
    return this.byId(sessionId(secret), true);
  }

  /** Whether a session (by id) is still live; the WebSocket hub rechecks its sockets with it. */
  isLive(id: string): boolean {
    return this.byId(id, false) !== null;
  }

  async end(id: string): Promise<void> {
    await this.db.remove(id);
  }

  /** Removes expired sessions (called periodically; resolve() ignores them anyway). */
  async sweep(): Promise<number> {
    let n = 0;
    for (const { key, value } of this.db.getRange()) {
      if (this.expiry(value) <= this.now()) {
        await this.db.remove(key);
        n++;
      }
    }
    return n;
  }

  private byId(id: string, touch: boolean): WebSession | null {
    const stored = this.db.get(id);
    if (!stored) return null;
    const t = this.now();
    if (this.expiry(stored) <= t) {
      void this.db.remove(id);
      return null;
    }
    if (touch && t - stored.lastSeen >= TOUCH_EVERY_MS) {
      stored.lastSeen = t;
      void this.db.put(id, stored);
    }
    return this.view(id, stored);
  }

  private expiry(s: StoredSession): number {
    return Math.min(s.lastSeen + SESSION_IDLE_MS, s.created + SESSION_MAX_MS);
  }

  private view(id: string, s: StoredSession): WebSession {
    return { id, user: s.user, scopes: s.scopes, expires: new Date(this.expiry(s)) };
  }
}
