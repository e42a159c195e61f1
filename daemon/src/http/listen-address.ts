// Where havend serves and how: loopback addresses get plain HTTP, every other address HTTPS
// (DESIGN section 8). The URLs shown to people name addresses they can reach: a wildcard
// listener is shown under each of the machine's external addresses.

import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`: nothing off this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h.startsWith('::ffff:127.');
}

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function urlFor(secure: boolean, host: string, port: number): string {
  return `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The URL of the bound address itself (what logs and tests read). */
export function boundUrl(host: string, port: number): string {
  return urlFor(!isLoopbackHost(host), host, port);
}

/** URLs people can use: the host itself, or each external address for a wildcard listener. */
export function reachableUrls(host: string, port: number): string[] {
  if (!isWildcardHost(host)) return [boundUrl(host, port)];
  const out: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      if (host === '0.0.0.0' && a.family !== 'IPv4') continue;
      if (a.family === 'IPv6' && a.scopeid) continue; // link-local needs a zone id browsers do not take
      out.push(urlFor(true, a.address, port));
    }
  }
  return out.length > 0 ? out : [boundUrl(host, port)];
}
