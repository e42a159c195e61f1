// The pool's configuration, persisted in the state db (db `pool`, one record): the state
// directory lives on the system disk, so the daemon knows its pool even when the pool cannot
// be mounted. The kernel stays the authority on which members are present; the record says
// which disks belong (by inventory id, per btrfs devid) and the profile the admin chose.

import type { Database } from 'lmdb';
import type { PoolProfile } from '../../../core/src/api/pool.js';
import type { StateDb } from '../state/state-db.js';

export interface PoolMemberRecord {
  devid: number;
  diskId: string | null;
  serial: string | null;
  model: string | null;
  sizeBytes: number;
  added: string;
}

export interface PoolRecord {
  name: string;
  kind: 'btrfs';
  profile: PoolProfile;
  /** The btrfs filesystem UUID (fsid): how the pool is found and mounted. */
  uuid: string;
  label: string;
  created: string;
  members: PoolMemberRecord[];
}

const KEY = 'pool';

export class PoolRecords {
  private readonly db: Database<PoolRecord, string>;

  constructor(state: StateDb) {
    this.db = state.db<PoolRecord>('pool');
  }

  get(): PoolRecord | null {
    return this.db.get(KEY) ?? null;
  }

  async put(record: PoolRecord): Promise<void> {
    await this.db.put(KEY, record);
  }

  /** Updates the members (after a replace, an add or a remove). */
  async setMembers(members: PoolMemberRecord[]): Promise<PoolRecord | null> {
    const r = this.get();
    if (!r) return null;
    const next = { ...r, members: [...members].sort((a, b) => a.devid - b.devid) };
    await this.put(next);
    return next;
  }
}
