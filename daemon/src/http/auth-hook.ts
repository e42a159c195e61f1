// Enforces each route's policy from the table before its handler runs.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HavenError } from '../../../core/src/errors.js';
import { canReadGroup, canReplicate, hasScope, type Principal } from '../auth/principal.js';
import { foreignOrigin } from './cross-site.js';
import type { RoutePolicy } from './route-types.js';

/** Resolves the caller from its credentials; areas may add resolvers (the UI's session cookie). */
export type PrincipalResolver = (req: FastifyRequest) => Principal | null | Promise<Principal | null>;

export function installAuth(app: FastifyInstance, resolvers: PrincipalResolver[]): void {
  app.decorateRequest('principal', null);
  // Credentials are checked before the body is read, so an anonymous upload is refused
  // without receiving it; a group scope may depend on the body and is checked after.
  app.addHook('onRequest', async (req) => {
    const policy: RoutePolicy | undefined = req.routeOptions.config.auth;
    if (!policy) return; // not-found handler
    // A WebSocket has no CORS: any page may open one to us, whatever credentials it carries.
    if (req.headers.upgrade !== undefined) {
      const foreign = foreignOrigin(req);
      if (foreign !== null) throw new HavenError('CROSS_SITE_REFUSED', { origin: foreign });
    }
    for (const resolve of resolvers) {
      req.principal = await resolve(req);
      if (req.principal) break;
    }
    if (policy.kind === 'public') return;
    if (!req.principal) throw new HavenError('UNAUTHORIZED');
    if (policy.kind === 'scope' && !hasScope(req.principal, policy.scope)) throw new HavenError('FORBIDDEN', { scope: policy.scope });
    if (policy.kind === 'replicate' && !canReplicate(req.principal)) throw new HavenError('FORBIDDEN', { scope: 'replicate' });
  });
  app.addHook('preHandler', async (req) => {
    const policy: RoutePolicy | undefined = req.routeOptions.config.auth;
    if (policy?.kind !== 'group') return;
    const group = policy.group(req);
    const principal = req.principal as Principal;
    const allowed = policy.access === 'read' ? canReadGroup(principal, group) : hasScope(principal, `backup:${group}`);
    if (!allowed) throw new HavenError('FORBIDDEN', { scope: policy.access === 'read' ? `backup:${group} or replicate:${group}` : `backup:${group}` });
  });
}

export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? (m[1] as string) : null;
}
