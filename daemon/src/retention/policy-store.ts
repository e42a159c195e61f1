// Retention policies per group, kept in the daemon's state db (`retention`, keyed by group),
// like tasks and alerts: they are the appliance's settings, not the datastore's, so a rebuilt
// index keeps them and a replicated datastore does not carry them. A group without a record
// is never pruned.

import { HavenError } from '../../../core/src/errors.js';
import type { RetentionPolicy, StoredPolicy } from '../../../core/src/api/retention.js';
import { validatePolicy } from '../../../core/src/retention/policy.js';
import { KeyedRecords } from '../state/keyed-records.js';
import type { StateDb } from '../state/state-db.js';

export class PolicyStore extends KeyedRecords<StoredPolicy> {
  constructor(state: StateDb, private readonly now: () => number = Date.now) {
    super(state, 'retention', (group) => new HavenError('RETENTION_POLICY_NOT_FOUND', { group }));
  }

  /** Validates (VALIDATION_FAILED) and replaces the group's policy; flushed before it returns. */
  async set(group: string, policy: RetentionPolicy, by: string): Promise<StoredPolicy> {
    const record: StoredPolicy = { group, policy: { ...validatePolicy(policy) }, updated: new Date(this.now()).toISOString(), updatedBy: by };
    await this.db.put(group, record);
    return record;
  }

  /** False when the group had no policy. */
  clear(group: string): Promise<boolean> {
    return this.remove(group);
  }
}
