// Retention policies per group, kept in the daemon's state db (`retention`, keyed by group),
// like tasks and alerts: they are the appliance's settings, not the datastore's, so a rebuilt
// index keeps them and a replicated datastore does not carry them. A group without a record
// is never pruned.

import type { Database } from 'lmdb';
import { HavenError } from '../../../core/src/errors.js';
import type { RetentionPolicy, StoredPolicy } from '../../../core/src/api/retention.js';
import { validatePolicy } from '../../../core/src/retention/policy.js';
import type { StateDb } from '../state/state-db.js';

export class PolicyStore {
  private readonly db: Database<StoredPolicy, string>;

  constructor(state: StateDb, private readonly now: () => number = Date.now) {
    this.db = state.db<StoredPolicy>('retention');
  }

  /** Every stored policy, by group name. */
  list(): StoredPolicy[] {
    return [...this.db.getRange()].map((e) => e.value);
  }

  get(group: string): StoredPolicy | null {
    return this.db.get(group) ?? null;
  }

  /** The stored policy or RETENTION_POLICY_NOT_FOUND. */
  require(group: string): StoredPolicy {
    const p = this.get(group);
    if (!p) throw new HavenError('RETENTION_POLICY_NOT_FOUND', { group });
    return p;
  }

  /** Validates (VALIDATION_FAILED) and replaces the group's policy; flushed before it returns. */
  async set(group: string, policy: RetentionPolicy, by: string): Promise<StoredPolicy> {
    const record: StoredPolicy = { group, policy: { ...validatePolicy(policy) }, updated: new Date(this.now()).toISOString(), updatedBy: by };
    await this.db.put(group, record);
    return record;
  }

  /** False when the group had no policy. */
  async clear(group: string): Promise<boolean> {
    if (this.db.get(group) === undefined) return false;
    return this.db.remove(group);
  }
}
