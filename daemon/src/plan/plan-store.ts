// The protection plan (issue 15), one entry per group in the daemon's state db (`plan`),
// like retention policies: the appliance's settings, not the datastore's. Durations and the
// schedule are checked here, so a stored entry always evaluates.

import { HavenError } from '../../../core/src/errors.js';
import type { PlanEntry, PlanEntryInput } from '../../../core/src/api/plan.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import { KeyedRecords } from '../state/keyed-records.js';
import type { StateDb } from '../state/state-db.js';
import { scheduleFor } from './rpo-state.js';

/** A backup may run this long after its due time before the entry is LATE, unless the entry says. */
export const DEFAULT_GRACE = '1h';

export class PlanStore extends KeyedRecords<PlanEntry> {
  constructor(state: StateDb, private readonly now: () => number = Date.now) {
    super(state, 'plan', (group) => new HavenError('PLAN_ENTRY_NOT_FOUND', { group }));
  }

  /** Adds or replaces the group's entry, keeping its creation time; flushed before it returns. */
  async set(group: string, input: PlanEntryInput, by: string): Promise<PlanEntry> {
    for (const d of [input.rpo, input.grace, input.rto]) if (d !== undefined) parseDuration(d);
    if (input.schedule !== undefined) scheduleFor(input.schedule);
    const at = new Date(this.now()).toISOString();
    const entry: PlanEntry = {
      group,
      owner: input.owner ?? '',
      rpo: input.rpo,
      schedule: input.schedule ?? null,
      grace: input.grace ?? DEFAULT_GRACE,
      rto: input.rto ?? null,
      offsitePeer: input.offsitePeer ?? null,
      offsiteRequired: input.offsiteRequired ?? true,
      mode: input.mode ?? 'active',
      created: this.get(group)?.created ?? at,
      updated: at,
      updatedBy: by,
    };
    await this.db.put(group, entry);
    return entry;
  }
}
