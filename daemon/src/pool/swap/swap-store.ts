// Disk swaps persisted in the state db (db `swaps`, by id): every transition is written
// before the service acts on it, so a daemon restart finds each workflow where it was.
// Finished ones are kept (bounded) as the record of what was replaced when.

import type { Database } from 'lmdb';
import type { StateDb } from '../../state/state-db.js';
import type { SwapRecord } from './swap-machine.js';

const KEEP_FINISHED = 200;

export class SwapStore {
  private readonly db: Database<SwapRecord, string>;

  constructor(state: StateDb) {
    this.db = state.db<SwapRecord>('swaps');
  }

  get(id: string): SwapRecord | null {
    return this.db.get(id) ?? null;
  }

  /** The one unfinished swap, if any. */
  active(): SwapRecord | null {
    for (const { value } of this.db.getRange({ reverse: true })) if (value.state !== 'finished') return value;
    return null;
  }

  /** Newest first (ids sort by creation time). */
  list(limit = 50): SwapRecord[] {
    return [...this.db.getRange({ reverse: true, limit })].map((e) => e.value);
  }

  async put(r: SwapRecord): Promise<void> {
    await this.db.put(r.id, r);
    if (r.state === 'finished') {
      let seen = 0;
      for (const { key, value } of this.db.getRange({ reverse: true })) {
        if (value.state === 'finished' && ++seen > KEEP_FINISHED) await this.db.remove(key);
      }
    }
  }
}
