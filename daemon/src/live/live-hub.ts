// The one WebSocket (after zigbee2mqtt's frontend extension): a client gets the full state
// when it connects, then every bus event as a typed delta, serialized once for all clients.
// A client that cannot keep up is closed (it reconnects and resyncs) rather than buffered
// without bound; sockets whose browser session ended are closed within a heartbeat.

import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { LIVE_CLOSE, type LiveEvent, type LiveMessage, type LiveState } from '../../../core/src/api/live.js';
import type { EventBus } from '../events.js';

export interface LiveHubDeps {
  bus: EventBus;
  /** The full state, taken synchronously so no event can fall between it and the deltas. */
  state: () => LiveState;
  /** Whether a browser session is still live (logout and expiry end its sockets). */
  isSessionLive: (id: string) => boolean;
  log: { warn(obj: object, msg: string): void };
  heartbeatMs?: number;
  maxBufferedBytes?: number;
}

interface Client {
  socket: WebSocket;
  session: string | null;
  alive: boolean;
}

export class LiveHub {
  private readonly clients = new Set<Client>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly deps: LiveHubDeps) {}

  start(): void {
    this.deps.bus.onAny(this, (name, data) => {
      // serialized once for every client, and not at all while nobody listens
      if (this.clients.size > 0) this.broadcast(JSON.stringify({ type: 'event', name, data } as LiveEvent));
    });
    this.heartbeat = setInterval(() => this.beat(), this.deps.heartbeatMs ?? 25_000);
    this.heartbeat.unref();
  }

  stop(): void {
    this.deps.bus.removeListeners(this);
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.clients) c.socket.close(1001, 'havend is stopping');
    this.clients.clear();
  }

  get size(): number {
    return this.clients.size;
  }

  /** The route's WebSocket handler; the auth hook has already admitted the request. */
  readonly connect = (socket: WebSocket, req: FastifyRequest): void => {
    const p = req.principal;
    const client: Client = { socket, session: p?.kind === 'user' ? (p.session ?? null) : null, alive: true };
    this.clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', (err) => {
      this.deps.log.warn({ err }, 'live socket error');
      socket.terminate();
    });
    // The protocol is one-way; a client that talks is ignored rather than answered.
    const message: LiveMessage = { type: 'state', state: this.deps.state() };
    socket.send(JSON.stringify(message));
  };

  /** Closes the sockets of a browser session (logout). */
  closeSession(id: string): void {
    for (const c of this.clients) if (c.session === id) c.socket.close(LIVE_CLOSE.sessionEnded, 'session ended');
  }

  private broadcast(text: string): void {
    const limit = this.deps.maxBufferedBytes ?? 8 * 1024 * 1024;
    for (const c of this.clients) {
      if (c.socket.readyState !== c.socket.OPEN) continue;
      if (c.socket.bufferedAmount > limit) {
        c.socket.close(LIVE_CLOSE.tooSlow, 'too far behind; reconnect');
        continue;
      }
      c.socket.send(text);
    }
  }

  private beat(): void {
    for (const c of this.clients) {
      if (c.session !== null && !this.deps.isSessionLive(c.session)) {
        c.socket.close(LIVE_CLOSE.sessionEnded, 'session ended');
      } else if (!c.alive) {
        c.socket.terminate(); // no pong since the last beat: the peer is gone
      } else {
        c.alive = false;
        c.socket.ping();
      }
    }
  }
}

/** Registers @fastify/websocket for the live route (before the routes, as it requires). */
export async function liveSocketPlugin(app: FastifyInstance): Promise<void> {
  // The live socket only sends; a client message is never larger than a short note.
  await app.register(websocket, { options: { maxPayload: 4096 } });
  // A refused upgrade (401, 403) must end its connection: the socket left the HTTP server's
  // bookkeeping when the upgrade began, nobody reads it any more, and it would hold a graceful
  // close open. (The plugin's own clean-up misses it when our auth hook refuses the request
  // before the plugin's hook marks it as a WebSocket request.)
  app.addHook('onSend', async (req, reply) => {
    if (req.ws || req.headers.upgrade === undefined) return;
    const socket = req.raw.socket;
    reply.raw.once('finish', () => socket.destroy());
  });
}
