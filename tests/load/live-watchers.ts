// UI-like watchers of a daemon's live WebSocket: each signs in with the admin's password as the
// UI's login page does, opens the socket with its session cookie and same-site origin, reads
// the state and every event, and reconnects when the daemon closes it for being too slow (as
// the UI does). Any other close or error while watching is recorded as a failure. From the
// session events they also measure how long any backup session went without progress.

import WebSocket from 'ws';
import { SESSION_COOKIE } from '../../core/src/api/auth.js';
import { LIVE_CLOSE, LIVE_PATH, type LiveMessage } from '../../core/src/api/live.js';

export interface WatchFigures {
  messages: number;
  events: number;
  states: number;
  reconnects: number;
  failures: string[];
  /** The longest time between two events of the same open backup session (ms), and whose. */
  longestSessionGapMs: number;
  longestGapGroup: string | null;
}

async function post(url: string, path: string, body: unknown, origin: string): Promise<{ status: number; cookie: string | null }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  const c = res.headers.getSetCookie().find((s) => s.startsWith(`${SESSION_COOKIE}=`));
  return { status: res.status, cookie: c ? (c.split(';')[0] as string) : null };
}

/** Creates the first admin with the daemon's setup code. */
export async function setUpAdmin(url: string, code: string, username: string, password: string): Promise<void> {
  const r = await post(url, '/api/v1/setup', { code, username, password }, url);
  if (r.status !== 201) throw new Error(`setup answered ${r.status}`);
}

/** Watches until `stop` resolves; answers what was seen. */
export async function watchLive(url: string, username: string, password: string, stop: Promise<void>): Promise<WatchFigures> {
  const f: WatchFigures = { messages: 0, events: 0, states: 0, reconnects: 0, failures: [], longestSessionGapMs: 0, longestGapGroup: null };
  const login = await post(url, '/api/v1/auth/login', { username, password }, url);
  if (login.status !== 200 || login.cookie === null) throw new Error(`login answered ${login.status}`);
  const lastEvent = new Map<string, number>();
  let stopping = false;
  let socket: WebSocket | null = null;
  const open = (): void => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}${LIVE_PATH}`, { headers: { cookie: login.cookie as string, origin: url } });
    socket = ws;
    ws.on('message', (data) => {
      f.messages++;
      const m = JSON.parse(String(data)) as LiveMessage;
      if (m.type === 'state') {
        f.states++;
        return;
      }
      f.events++;
      if (m.name !== 'session.started' && m.name !== 'session.progress' && m.name !== 'session.ended') return;
      const now = Date.now();
      const before = lastEvent.get(m.data.id);
      if (before !== undefined && now - before > f.longestSessionGapMs) {
        f.longestSessionGapMs = now - before;
        f.longestGapGroup = m.data.group;
      }
      if (m.name === 'session.ended') lastEvent.delete(m.data.id);
      else lastEvent.set(m.data.id, now);
    });
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      f.failures.push(`upgrade refused: HTTP ${res.statusCode}`);
    });
    ws.on('error', (err) => f.failures.push(`socket error: ${err.message}`));
    ws.on('close', (code) => {
      if (stopping) return;
      // a reconnect starts from a fresh state: gaps across it are not the daemon's
      lastEvent.clear();
      if (code === LIVE_CLOSE.tooSlow) {
        f.reconnects++;
        open();
      } else {
        f.failures.push(`closed with ${code} while watching`);
      }
    });
  };
  open();
  await stop;
  stopping = true;
  (socket as WebSocket | null)?.close(1000);
  return f;
}
