// Graceful shutdown at the HTTP edge. Once the daemon's shutdown signal fires, new requests
// are refused with SHUTTING_DOWN (503, in the catalogue's shape, so clients retry), and
// running upload streams stop reading (FrameIngest watches the same signal): their complete
// frames are still verified, stored and flushed, then the stream is answered SHUTTING_DOWN. Requests
// already past their body (a commit) run to the end, so a commit either completes or, if it
// had not started, never happens.

import type { FastifyInstance } from 'fastify';
import { HavenError } from '../../../core/src/errors.js';

export function shutdownGate(signal: AbortSignal): (app: FastifyInstance) => void {
  return (app) => {
    app.addHook('onRequest', async () => {
      if (signal.aborted) throw new HavenError('SHUTTING_DOWN');
    });
    // Responses sent while shutting down end their connection: an upload answered before its
    // body ended would otherwise hold the socket (and the listener's close) until the client stops.
    app.addHook('onSend', async (_req, reply) => {
      if (signal.aborted) reply.header('connection', 'close');
    });
  };
}
