// Who is asking, and what they may do. Scopes: `admin` implies every scope;
// `backup:<group>` may create and read snapshots of that group, never delete; `replicate`
// reads every group (snapshots, trees, objects, the change feed) and writes nothing;
// `replicate:<group>` reads that one group the same way.

import type { TokenPrincipal } from './tokens.js';

export interface UserPrincipal {
  kind: 'user';
  name: string;
  scopes: string[];
  /** The browser session this principal came from (absent for the local socket). */
  session?: string;
  expires?: string;
}

export type Principal = TokenPrincipal | UserPrincipal;

export function hasScope(p: Principal, scope: string): boolean {
  return p.scopes.includes('admin') || p.scopes.includes(scope);
}

export function canReadGroup(p: Principal, group: string): boolean {
  return hasScope(p, `backup:${group}`) || hasScope(p, 'replicate') || hasScope(p, `replicate:${group}`);
}

/** May read some group's replication feed (`replicate`, `replicate:<group>` or admin). */
export function canReplicate(p: Principal): boolean {
  return hasScope(p, 'replicate') || p.scopes.some((s) => s.startsWith('replicate:'));
}
