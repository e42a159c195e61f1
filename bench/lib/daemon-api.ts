// The benchmarks' view of a running havend: one API request timed, and the wait for the
// daemon's start-up work on a datastore built outside it.

import type { DatastoreUsage } from '../../core/src/api/datastore.js';
import type { Daemon } from '../../tests/helpers/daemon.js';

/** One request to the daemon's API over loopback, and how long it took to be answered. */
export async function api<T>(daemon: Daemon, token: string, method: string, path: string, log: (line: string) => void): Promise<{ body: T; ms: number; bytes: number }> {
  const t0 = performance.now();
  const send = (): Promise<Response> => fetch(new URL(path, daemon.url), { method, headers: { authorization: `Bearer ${token}` } });
  // A pooled connection idle for about the server's keep-alive time (72 s) can be closed by
  // the server as it is reused: asked again once on a new connection (the benchmarks' requests
  // are safe to repeat: POST /gc answers a run already going), rather than ending the run.
  const res = await send().catch((err: unknown) => {
    if ((err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
    log(`${method} ${path}: ${String((err as Error).cause)}; asked again`);
    return send();
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { body: JSON.parse(text) as T, ms: performance.now() - t0, bytes: Buffer.byteLength(text) };
}

/**
 * Waits until the daemon has measured every snapshot's logical size. It measures, from its
 * start, each snapshot it never measured (backup/snapshot-sizes.ts, a walk of the snapshot's
 * trees); a datastore that took its backups through a daemon had each measured at its commit,
 * but a synthetic one was built outside any, so its snapshots are measured now. Answers the
 * seconds it waited.
 */
export async function sizesMeasured(daemon: Daemon, token: string, deadline: number, log: (line: string) => void, pollMs = 250): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const { body } = await api<DatastoreUsage>(daemon, token, 'GET', '/api/v1/datastore', log);
    if (body.pendingSizes === 0) break;
    if (Date.now() > deadline) throw new Error(`snapshot sizes still pending (${body.pendingSizes}) at the benchmark's deadline`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return (performance.now() - t0) / 1000;
}
