// The shape of a route in the table (route-table.ts): every route states its auth policy, and
// its handler's request type is read from the schemas of the same entry (route()).

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyReply, FastifyRequest, FastifySchema, RawRequestDefaultExpression, RawServerDefault, RouteGenericInterface, RouteShorthandOptions,
} from 'fastify';
import type { TSchema } from 'typebox';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/principal.js';

/** What a route validates before its handler runs (TypeBox schemas from core/src/api). */
export interface RouteSchema {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** What it answers, by status code: the reply is serialized by this schema (fields it does not name are left out). */
  response?: Record<number, TSchema>;
}
/** A route that validates nothing: its handler sees `unknown` params, query and body. */
export type NoSchema = Record<never, never>;

/** A request whose params, query and body have the static types of the route's schemas. */
export type TypedRequest<S extends RouteSchema = NoSchema> =
  FastifyRequest<RouteGenericInterface, RawServerDefault, RawRequestDefaultExpression, S, TypeBoxTypeProvider>;

/** A handler for a route with schemas S, answering R (or the reply it sent). */
export type Handler<S extends RouteSchema = NoSchema, R = unknown> = (req: TypedRequest<S>, reply: FastifyReply) => Promise<R>;

/** Where a group-scoped route finds the group it concerns (the auth matrix builds requests from it). */
export type GroupSource =
  /** `group` in the JSON body */
  | 'body'
  /** `:group` in the URL */
  | 'params'
  /** the backup session `:id` */
  | 'session'
  /** the snapshot `:id` */
  | 'snapshot';

export type AuthPolicy<S extends RouteSchema = NoSchema> =
  /** No credentials needed (health, login, first-run setup). */
  | { kind: 'public' }
  /** Any valid principal; the handler shows only what its scopes allow. */
  | { kind: 'authenticated' }
  /** A fixed scope (`admin` is implied by nothing but itself; it implies every scope). */
  | { kind: 'scope'; scope: 'admin' | 'replicate' | 'metrics' }
  /**
   * The group the request concerns (resolved after validation): `write` needs `backup:<group>`;
   * `read` also lets a replication token covering the group in (`replicate`, `replicate:<group>`).
   */
  | { kind: 'group'; access: GroupAccess; from: GroupSource; group: (req: TypedRequest<S>) => string }
  /** Any replication token (`replicate` or `replicate:<group>`); the handler shows only the groups it covers. */
  | { kind: 'replicate' };

export type GroupAccess = 'read' | 'write';

export const PUBLIC: AuthPolicy = { kind: 'public' };
export const AUTHENTICATED: AuthPolicy = { kind: 'authenticated' };
export const ADMIN: AuthPolicy = { kind: 'scope', scope: 'admin' };
/** Read-only scrape access for Prometheus (admin implies it). */
export const METRICS: AuthPolicy = { kind: 'scope', scope: 'metrics' };
export const REPLICATE: AuthPolicy = { kind: 'replicate' };

/** A policy as the auth hook applies it, to any request of its route. */
export type RoutePolicy =
  | Exclude<AuthPolicy, { kind: 'group' }>
  | { kind: 'group'; access: GroupAccess; from: GroupSource; group: (req: FastifyRequest) => string };

/** A route as the server registers it: types checked by route() and erased. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  auth: RoutePolicy;
  schema?: FastifySchema & RouteSchema;
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** For WebSocket routes: takes over upgraded requests (after the auth hook); `handler` answers plain ones. */
  wsHandler?: (socket: WebSocket, req: FastifyRequest) => void;
  /** Extra Fastify options (bodyLimit for binary bodies, websocket). */
  options?: Omit<RouteShorthandOptions, 'schema'> & { websocket?: boolean };
}

/**
 * One entry of the table. The schema alone decides S (NoInfer on the rest), so a handler or a
 * policy that expects a field the schema does not validate fails to compile here.
 */
export function route<S extends RouteSchema = NoSchema>(r: {
  method: Route['method'];
  url: string;
  auth: AuthPolicy<NoInfer<S>>;
  schema?: S;
  handler: Handler<NoInfer<S>>;
  wsHandler?: Route['wsHandler'];
  options?: Route['options'];
}): Route {
  // Fastify validated params, query and body against `schema` before the auth preHandler and
  // the handler run, so the request they receive has the types read from it: the one place
  // those types are asserted rather than inferred.
  return r as unknown as Route;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    auth?: RoutePolicy;
  }
}
