// One record per key in a named database of the state db (retention policies, plan entries,
// notification targets): the reads every such store has, and a typed not-found error.

import type { Database } from 'lmdb';
import type { HavenError } from '../../../core/src/errors.js';
import type { StateDb } from './state-db.js';

export class KeyedRecords<V> {
  protected readonly db: Database<V, string>;

  constructor(state: StateDb, name: string, private readonly notFound: (key: string) => HavenError) {
    this.db = state.db<V>(name);
  }

  /** Every record, in key order. */
  list(): V[] {
    return [...this.db.getRange()].map((e) => e.value);
  }

  get(key: string): V | null {
    return this.db.get(key) ?? null;
  }

  /** The record or the store's typed not-found error. */
  require(key: string): V {
    const v = this.get(key);
    if (v === null) throw this.notFound(key);
    return v;
  }

  /** False when there was no record. */
  async remove(key: string): Promise<boolean> {
    if (this.db.get(key) === undefined) return false;
    return this.db.remove(key);
  }
}
