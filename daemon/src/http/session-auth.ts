// The browser's principal: the session cookie, resolved through WebSessions. A request that
// carries the cookie from another site's page (cross-site.ts) never gets the session: a
// state-changing one is refused with CROSS_SITE_REFUSED, a read is treated as anonymous.

import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../../../core/src/api/auth.js';
import { HavenError } from '../../../core/src/errors.js';
import type { WebSessions } from '../accounts/web-sessions.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { PrincipalResolver } from './auth-hook.js';
import { parseCookies } from './cookies.js';
import { foreignOrigin, isStateChanging } from './cross-site.js';

export function sessionResolver(sessions: WebSessions): PrincipalResolver {
  return (req: FastifyRequest): UserPrincipal | null => {
    const secret = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (!secret) return null;
    const foreign = foreignOrigin(req);
    if (foreign !== null) {
      if (isStateChanging(req.method)) throw new HavenError('CROSS_SITE_REFUSED', { origin: foreign });
      return null;
    }
    const s = sessions.resolve(secret);
    if (!s) return null;
    return { kind: 'user', name: s.user, scopes: s.scopes, session: s.id, expires: s.expires.toISOString() };
  };
}
