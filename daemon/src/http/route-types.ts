// The shape of a route in the table (route-table.ts): every route states its auth policy.

import type { FastifyReply, FastifyRequest, FastifySchema, RouteShorthandOptions } from 'fastify';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/principal.js';

export type AuthPolicy =
  /** No credentials needed (health, login, first-run setup). */
  | { kind: 'public' }
  /** Any valid principal; the handler shows only what its scopes allow. */
  | { kind: 'authenticated' }
  /** A fixed scope (`admin` is implied by nothing but itself; it implies every scope). */
  | { kind: 'scope'; scope: 'admin' | 'replicate' | 'metrics' }
  /** `backup:<group>` for the group the request concerns (resolved from body, session or snapshot). */
  | { kind: 'group'; group: (req: FastifyRequest) => string };

export const PUBLIC: AuthPolicy = { kind: 'public' };
export const AUTHENTICATED: AuthPolicy = { kind: 'authenticated' };
export const ADMIN: AuthPolicy = { kind: 'scope', scope: 'admin' };
/** Read-only scrape access for Prometheus (admin implies it). */
export const METRICS: AuthPolicy = { kind: 'scope', scope: 'metrics' };

export type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  auth: AuthPolicy;
  schema?: FastifySchema;
  handler: Handler;
  /** For WebSocket routes: takes over upgraded requests (after the auth hook); `handler` answers plain ones. */
  wsHandler?: (socket: WebSocket, req: FastifyRequest) => void;
  /** Extra Fastify options (bodyLimit for binary bodies, websocket). */
  options?: Omit<RouteShorthandOptions, 'schema'> & { websocket?: boolean };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    auth?: AuthPolicy;
  }
}
