// API tokens: `hvn_<id>_<secret>`. Only a SHA-256 of the secret is stored; the secret has
// 256 bits of entropy, so a slow password hash would add nothing but latency per request.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from 'lmdb';
import { HavenError } from '../../../core/src/errors.js';
import type { TokenInfo } from '../../../core/src/api/tokens.js';
import { isValidScope } from '../../../core/src/api/wire-constants.js';
import type { StateDb } from '../state/state-db.js';

interface StoredToken {
  id: string;
  name: string;
  scopes: string[];
  hash: string;
  created: string;
  lastUsed: string | null;
}

const TOKEN_RE = /^hvn_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

function info(t: StoredToken): TokenInfo {
  return { id: t.id, name: t.name, scopes: t.scopes, created: t.created, lastUsed: t.lastUsed };
}

export interface TokenPrincipal {
  kind: 'token';
  id: string;
  name: string;
  scopes: string[];
}

export class TokenStore {
  private readonly db: Database<StoredToken, string>;
  private readonly lastUsedWrites = new Map<string, number>();

  constructor(state: StateDb) {
    this.db = state.db<StoredToken>('tokens');
  }

  /** Creates a token; the returned secret is shown once and never stored. */
  async create(name: string, scope: string): Promise<{ token: string; info: TokenInfo }> {
    if (!isValidScope(scope)) throw new HavenError('VALIDATION_FAILED', { detail: `scope ${scope} is not admin, replicate, replicate:<group>, metrics or backup:<group>` });
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const stored: StoredToken = {
      id, name, scopes: [scope], hash: hashSecret(secret).toString('hex'), created: new Date().toISOString(), lastUsed: null,
    };
    await this.db.put(id, stored);
    return { token: `hvn_${id}_${secret}`, info: info(stored) };
  }

  /** The principal a bearer token stands for, or null when it is not a valid token. */
  verify(token: string): TokenPrincipal | null {
    const m = TOKEN_RE.exec(token);
    if (!m) return null;
    const stored = this.db.get(m[1] as string);
    if (!stored) return null;
    if (!timingSafeEqual(Buffer.from(stored.hash, 'hex'), hashSecret(m[2] as string))) return null;
    this.noteUse(stored);
    return { kind: 'token', id: stored.id, name: stored.name, scopes: stored.scopes };
  }

  private noteUse(stored: StoredToken): void {
    // At most one write a minute per token: verification sits on every request's path.
    const now = Date.now();
    if (now - (this.lastUsedWrites.get(stored.id) ?? 0) < 60_000) return;
    this.lastUsedWrites.set(stored.id, now);
    void this.db.put(stored.id, { ...stored, lastUsed: new Date(now).toISOString() });
  }

  list(): TokenInfo[] {
    return [...this.db.getRange()].map(({ value }) => info(value));
  }

  async revoke(id: string): Promise<void> {
    if (!this.db.doesExist(id)) throw new HavenError('TOKEN_NOT_FOUND', { id });
    await this.db.remove(id);
  }
}
