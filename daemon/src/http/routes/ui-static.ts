// Serves the built admin UI (ui/dist) from memory: the files are read once at start (a few
// hundred KiB), so a request never touches the file system and no path can escape the
// directory. Hashed assets are cached for good; index.html answers every other GET outside
// /api (the UI routes in the browser's history) and is never cached.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { HavenError } from '../../../../core/src/errors.js';
import type { Handler } from '../route-types.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Scripts and styles only from the appliance itself; connections only back to it (REST and
 * the WebSocket); no framing (clickjacking). Svelte sets style attributes for transitions,
 * hence 'unsafe-inline' for styles only.
 */
const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
  "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'",
].join('; ');

interface UiFile {
  body: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

function readTree(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const body = readFileSync(full);
        const url = '/' + relative(dir, full).split(sep).join('/');
        files.set(url, {
          body,
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
          immutable: url.startsWith('/assets/'), // Vite puts content hashes in these names
        });
      }
    }
  };
  walk(dir);
  return files;
}

const NOT_BUILT = '<!doctype html><title>Haven</title><p>The admin UI is not built. Run <code>npm run build:ui</code> and restart havend.</p>';

export function uiRoutes(dir: string): { get: Handler } {
  const files = existsSync(join(dir, 'index.html')) ? readTree(dir) : new Map<string, UiFile>();
  const index = files.get('/index.html');

  const get: Handler = async (req, reply) => {
    const path = (req.url.split('?')[0] ?? '/').replace(/\/{2,}/g, '/');
    if (path === '/api' || path.startsWith('/api/')) throw new HavenError('NOT_FOUND', { method: req.method, url: path });
    let file = files.get(path);
    // History routes have no extension; a missing asset is a real 404.
    if (!file && extname(path) === '') file = index;
    void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin');
    if (!file) {
      if (!index) return reply.code(503).type(TYPES['.html'] as string).send(NOT_BUILT);
      throw new HavenError('NOT_FOUND', { method: req.method, url: path });
    }
    void reply
      .type(file.type)
      .header('etag', file.etag)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (file.type.startsWith('text/html')) void reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.send(file.body);
  };
  return { get };
}
