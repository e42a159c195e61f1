// The browser's principal: the session cookie, resolved through WebSessions. A request that
// carries the cookie but comes from another origin (Origin header naming another host) is
// treated as anonymous: SameSite=Strict already keeps other sites' requests from carrying
// it, and this keeps a browser without SameSite support from being used for CSRF too.

import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../../../core/src/api/auth.js';
import type { WebSessions } from '../accounts/web-sessions.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { PrincipalResolver } from './auth-hook.js';
import { parseCookies } from './cookies.js';

export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a cross-origin browser request (browsers send Origin on those)
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function sessionResolver(sessions: WebSessions): PrincipalResolver {
  return (req): UserPrincipal | null => {
    const secret = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (!secret || !sameOrigin(req)) return null;
    const s = sessions.resolve(secret);
    if (!s) return null;
    return { kind: 'user', name: s.user, scopes: s.scopes, session: s.id, expires: s.expires.toISOString() };
  };
}
