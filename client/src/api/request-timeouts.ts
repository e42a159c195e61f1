// Limits on how long the client waits for the appliance, so that a server that accepts a
// connection and then says nothing (hung, or hostile) fails the command with
// SERVER_UNREACHABLE instead of hanging it forever.
//
// Two limits: connecting (TCP, and TLS with its certificate check) and idleness. Idleness
// counts only time spent waiting on the server: for the answer once the request is sent,
// for the rest of a body the caller is ready to read, or for the server to take more of an
// upload it stopped reading. A download that keeps receiving never times out however long
// it runs, and a client that is itself slow (a worker waiting for its next file, a restore
// writing to a slow disk) is never blamed on the server.

import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HavenError } from '../../../core/src/errors.js';

export interface RequestTimeouts {
  /** From opening a socket to a usable connection (TCP, TLS handshake, certificate check). */
  connectMs: number;
  /** Longest time without progress while waiting on the server. */
  idleMs: number;
}

export const DEFAULT_REQUEST_TIMEOUTS: Readonly<RequestTimeouts> = Object.freeze({ connectMs: 30_000, idleMs: 120_000 });

/** One number of seconds (HAVEN_TIMEOUT_SECONDS) sets the idle limit; connecting gets no more than the default. */
export function timeoutsFromSeconds(seconds: number): RequestTimeouts {
  const idleMs = Math.round(seconds * 1000);
  return { connectMs: Math.min(DEFAULT_REQUEST_TIMEOUTS.connectMs, idleMs), idleMs };
}

function noAnswer(server: string, ms: number): HavenError {
  return new HavenError('SERVER_UNREACHABLE', { server, detail: `no answer within ${ms / 1000} s` });
}

/**
 * Destroys `socket` with SERVER_UNREACHABLE unless `ready` ('connect' for TCP,
 * 'secureConnect' for TLS) comes within `ms`. The error reaches the request through the
 * agent like any connection error.
 */
export function limitConnect(socket: Duplex, ready: 'connect' | 'secureConnect', ms: number, server: string): void {
  const timer = setTimeout(() => socket.destroy(noAnswer(server, ms)), ms);
  const clear = (): void => clearTimeout(timer);
  socket.once(ready, clear);
  socket.once('close', clear);
}

/** http.Agent whose connections must be established within `connectMs` (PinnedAgent does the same for https). */
export class ConnectLimitedAgent extends http.Agent {
  constructor(private readonly server: string, private readonly connectMs: number, options: http.AgentOptions) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    // net.createConnection: the socket comes back at once, still connecting.
    const socket = super.createConnection(options, callback);
    if (socket) limitConnect(socket, 'connect', this.connectMs, this.server);
    return socket;
  }
}

/**
 * Whether the exchange is stalled on the server's side. Before the answer: the request is
 * complete, or the server stopped taking its body (a write waits for 'drain'). After it:
 * the body is not complete and the caller has read everything that came (a caller that
 * leaves bytes unread is busy itself, and the socket is paused on its behalf).
 */
function waitingOnServer(req: http.ClientRequest, res: http.IncomingMessage | null): boolean {
  if (res) return !res.complete && res.readableLength === 0;
  return req.writableEnded || req.writableNeedDrain;
}

/**
 * Fails `req` (or its response, once there is one, so that whoever reads the body gets the
 * error) with SERVER_UNREACHABLE after `idleMs` of waiting on the server with no byte
 * moving on its socket. Progress is sampled from the socket's byte counters a few times
 * per limit rather than from 'data' listeners, which would change how the body flows.
 */
export function limitIdle(req: http.ClientRequest, idleMs: number, server: string): void {
  let res: http.IncomingMessage | null = null;
  let moved = -1;
  let quietSince = Date.now();
  // Sampled every second, or 4 times per limit when shorter: a stall fails after the limit, late by at most that period.
  const timer = setInterval(() => sample(), Math.min(1000, Math.max(25, idleMs / 4)));
  // Never what keeps the process alive: a request that matters holds its socket open.
  timer.unref();
  const stop = (): void => clearInterval(timer);
  const sample = (): void => {
    if (res ? res.complete || res.destroyed : req.destroyed) {
      stop();
      return;
    }
    const socket: Socket | null = req.socket;
    const now = Date.now();
    // No socket yet (queued in the agent) or still connecting: the connect limit applies.
    const bytes = socket && !socket.connecting ? socket.bytesRead + socket.bytesWritten : -1;
    if (bytes === -1 || bytes !== moved || !waitingOnServer(req, res)) {
      moved = bytes;
      quietSince = now;
    } else if (now - quietSince >= idleMs) {
      stop();
      (res ?? req).destroy(noAnswer(server, idleMs));
    }
  };
  req.once('response', (r: http.IncomingMessage) => {
    res = r;
    r.once('close', stop);
  });
  req.once('close', () => {
    if (!res) stop();
  });
}
