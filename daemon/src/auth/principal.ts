// Who is asking, and what they may do. Scopes: `admin` implies every scope;
// `backup:<group>` may create and read snapshots of that group, never delete.

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
  return hasScope(p, `backup:${group}`) || hasScope(p, 'replicate');
}
