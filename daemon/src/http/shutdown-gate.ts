// Graceful shutdown at the HTTP edge. Once the daemon's shutdown signal fires, new requests
// are refused with SHUTTING_DOWN (503, in the catalogue's shape, so clients retry), and
// running upload streams stop reading: their complete frames are still verified, stored and
// flushed by the ingest pipeline, then the stream is answered with SHUTTING_DOWN. Requests
// already past their body (a commit) run to the end, so a commit either completes or, if it
// had not started, never happens.

import type { Readable } from 'node:stream';
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

/**
 * Yields the stream's chunks until the signal fires, then throws SHUTTING_DOWN without
 * waiting for the client's next chunk. The stream itself is left open (not destroyed) so the
 * response can still reach the client.
 */
export async function* untilShutdown(stream: Readable, signal: AbortSignal): AsyncGenerator<Buffer> {
  const chunks = stream.iterator({ destroyOnReturn: false });
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new HavenError('SHUTTING_DOWN'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined); // observed by the race below; never unhandled
  try {
    for (;;) {
      const next = chunks.next();
      const result = await Promise.race([next, aborted]).catch((err: unknown) => {
        // the pending read may still settle (or fail when the client goes away); nobody needs it then
        next.catch(() => undefined);
        throw err;
      });
      if (result.done) return;
      yield result.value as Buffer;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
