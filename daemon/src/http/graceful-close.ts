// Closing the listener at shutdown. By the time this runs the shutdown gate refuses new
// requests and upload streams are ending; commits run to completion. Long reads (a restore
// streaming a large file) would hold the close for as long as they last, so after a grace
// period the remaining connections are cut: a cut read is retried by the client, and a
// commit cut from its connection either finishes (its handler runs on) or finds the store
// closed and never happens (the store's serial queue orders close after pending writes).

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export const CLOSE_GRACE_MS = 10_000;

export async function closeServerGracefully(server: FastifyInstance, log: Pick<Logger, 'warn'>, graceMs = CLOSE_GRACE_MS): Promise<void> {
  const closed = server.close();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const outcome = await Promise.race([closed.then(() => 'closed' as const), grace]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    log.warn({ graceMs }, 'requests still running after the grace period; closing their connections');
    server.server.closeAllConnections();
    await closed;
  }
}
