// Builds the Fastify instance: body parsers for the binary media types, the auth hooks, the
// error handler, and the routes of the table.

import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { MEDIA_DIGESTS, MEDIA_FRAMES } from '../../../core/src/api/backup.js';
import { installAuth, type PrincipalResolver } from './auth-hook.js';
import { installErrorHandler } from './error-handler.js';
import { lazySchemaCompilers, registerLazyCompilers } from './lazy-compilers.js';
import type { Route } from './route-types.js';

export interface ServerOptions {
  logger: FastifyServerOptions['loggerInstance'];
  maxJsonBodyBytes: number;
  /** A request's headers must arrive within this long (slow-loris); the connection is closed otherwise. */
  headersTimeoutMs: number;
  resolvers: PrincipalResolver[];
  routes: Route[];
  /** Serve HTTPS with this key and certificate (PEM); plain HTTP when absent. */
  https?: { key: string; cert: string };
  /** Other areas' plugins (websocket, static UI) registered before the routes. */
  plugins?: Array<(app: FastifyInstance) => Promise<void> | void>;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const timeouts: http.ServerOptions = {
    headersTimeout: options.headersTimeoutMs,
    // Uploads are long-lived streams; never cut them on a request timer (an upload stream that
    // stalls inside a frame is ended by the ingest's frame timer, limits.frameTimeoutMs).
    requestTimeout: 0,
    // Node checks the headers timer only this often (30 s by default).
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(options.headersTimeoutMs / 4))),
  };
  const compilers = lazySchemaCompilers();
  const app = Fastify({
    loggerInstance: options.logger,
    // Per-request lines would dominate the log during uploads; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxJsonBodyBytes,
    genReqId: () => randomBytes(6).toString('hex'),
    requestTimeout: 0,
    http: timeouts,
    // While shutting down, the shutdown gate answers new requests with SHUTTING_DOWN in the
    // catalogue's shape; Fastify's own 503 would not be.
    return503OnClosing: false,
    // Fastify's types tie an instance to http.Server; an https.Server offers everything Fastify calls on it.
    ...(options.https ? { serverFactory: (handler: http.RequestListener) => https.createServer({ ...options.https, ...timeouts }, handler) as unknown as http.Server } : {}),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    // Each route's schemas compile at its first request, not all at start (lazy-compilers.ts).
    schemaController: compilers.schemaController,
  });
  registerLazyCompilers(app, compilers);
  installErrorHandler(app);
  installAuth(app, options.resolvers);

  // Digest batches: read whole (each route sets its own bodyLimit).
  app.addContentTypeParser(MEDIA_DIGESTS, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // Frame streams: handed to the handler unread, so it consumes them with backpressure.
  app.addContentTypeParser(MEDIA_FRAMES, (_req, payload, done) => done(null, payload));

  for (const plugin of options.plugins ?? []) await plugin(app);
  for (const r of options.routes) {
    app.route({
      method: r.method,
      url: r.url,
      ...(r.schema ? { schema: r.schema } : {}),
      ...(r.options ?? {}),
      config: { auth: r.auth },
      handler: r.handler,
      ...(r.wsHandler ? { wsHandler: r.wsHandler } : {}),
    });
  }
  return app;
}
