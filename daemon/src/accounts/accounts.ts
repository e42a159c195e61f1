// Admin accounts in the state database: name -> scrypt hash. The first one is created by the
// first-run setup (setup-code.ts); there is no way to create one over the API once any exists.

import { randomBytes } from 'node:crypto';
import type { Database } from 'lmdb';
import { HavenError } from '../../../core/src/errors.js';
import type { StateDb } from '../state/state-db.js';
import { hashPassword, verifyPassword } from './passwords.js';

export interface Account {
  name: string;
  scopes: string[];
  hash: string;
  created: string;
}

export class AccountStore {
  private readonly db: Database<Account, string>;
  /** Verified against when the name is unknown, so response time does not reveal which names exist. */
  private decoy: Promise<string> | null = null;

  constructor(state: StateDb) {
    this.db = state.db<Account>('accounts');
  }

  any(): boolean {
    for (const _ of this.db.getKeys({ limit: 1 })) return true;
    return false;
  }

  /** Creates the first admin; refuses (SETUP_DONE) once any account exists, atomically. */
  async createFirstAdmin(name: string, password: string): Promise<Account> {
    const account: Account = { name, scopes: ['admin'], hash: await hashPassword(password), created: new Date().toISOString() };
    const created = await this.db.transaction(() => {
      if (this.any()) return false;
      void this.db.put(name, account);
      return true;
    });
    if (!created) throw new HavenError('SETUP_DONE');
    return account;
  }

  /** The account when the password matches, else null (same work either way). */
  async verify(name: string, password: string): Promise<Account | null> {
    const account = this.db.get(name);
    if (!account) {
      this.decoy ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(password, await this.decoy);
      return null;
    }
    return (await verifyPassword(password, account.hash)) ? account : null;
  }

  get(name: string): Account | undefined {
    return this.db.get(name);
  }
}
