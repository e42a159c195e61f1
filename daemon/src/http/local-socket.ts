// The root-only control socket in the state directory. Admin CLI commands about live state
// (`havend disks`, `pool`, `swap`) talk to the running daemon through it. It serves the same
// routes as the network listener; a connection through it acts as the local administrator,
// which is safe because only root can open the socket (mode 0600 in a 0750 directory).

import http from 'node:http';
import type { Socket } from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import type { PrincipalResolver } from './auth-hook.js';

export function socketPath(dataDir: string): string {
  return join(dataDir, 'havend.sock');
}

export class LocalSocket {
  private readonly sockets = new WeakSet<Socket>();
  private server: http.Server | null = null;

  /** Resolves requests that arrived through the socket to the local administrator. */
  readonly resolver: PrincipalResolver = (req: FastifyRequest): Principal | null =>
    this.sockets.has(req.raw.socket) ? { kind: 'user', name: 'local administrator', scopes: ['admin'] } : null;

  async listen(app: FastifyInstance, path: string): Promise<void> {
    await app.ready();
    if (existsSync(path)) unlinkSync(path); // a stale socket from a killed daemon (the pid file guards against a live one)
    const server = http.createServer((req, res) => app.routing(req, res));
    server.on('connection', (s: Socket) => this.sockets.add(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
