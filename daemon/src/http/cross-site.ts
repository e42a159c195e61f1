// Whether a browser sent this request from another site's page. Browsers name the page's
// origin in Origin on every cross-origin request and every POST/PUT/PATCH/DELETE, and modern
// ones add Sec-Fetch-Site; non-browser clients (the CLI, curl, a peer) send neither.
// SameSite=Strict already keeps other sites from making a browser send the session cookie;
// this is the second lock, for browsers that ignore SameSite and for the WebSocket, which
// has no CORS and is opened across origins by any page that asks.

import type { FastifyRequest } from 'fastify';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isStateChanging(method: string): boolean {
  return STATE_CHANGING.has(method);
}

/** The other site a browser says this request comes from; null for the appliance's own pages and non-browser clients. */
export function foreignOrigin(req: FastifyRequest): string | null {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    try {
      if (new URL(origin).host === req.headers.host) return null;
    } catch {
      // `null` (a sandboxed frame, a redirect chain) or garbage: not this appliance
    }
    return origin;
  }
  // same-site is a sibling host (another device's UI under the same domain): still not us.
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `unknown (Sec-Fetch-Site: ${site})`;
  return null;
}
