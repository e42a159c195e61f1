// The session cookie: parsing the Cookie header and writing Set-Cookie (RFC 6265). Only our
// own cookie matters, so this stays a few lines rather than a dependency.

import { SESSION_COOKIE } from '../../../core/src/api/auth.js';

/** Cookie values by name; the first occurrence wins, as browsers send the most specific first. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

/**
 * httpOnly: scripts (an XSS) cannot read it. SameSite=Strict: no other site can make the
 * browser send it (CSRF). Secure whenever the appliance serves HTTPS. Path=/ so the UI and
 * the API under /api share it.
 */
export function sessionCookie(secret: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  const attrs = [`${SESSION_COOKIE}=${secret}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.floor(options.maxAgeSeconds)}`];
  if (options.secure) attrs.push('Secure');
  return attrs.join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', { secure, maxAgeSeconds: 0 });
}
