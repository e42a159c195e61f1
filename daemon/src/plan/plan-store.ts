// The protection plan (issue 15), one entry per group in the daemon's state db (`plan`),
// like retention policies: the appliance's settings, not the datastore's. Durations and the
// schedules are checked here, so a stored entry always evaluates. Whoever schedules per entry
// (the drill area) listens to onChange: it is told after each add, change and removal.

import { HavenError } from '../../../core/src/errors.js';
import { DRILL_NEVER, type PlanEntry, type PlanEntryInput } from '../../../core/src/api/plan.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import { KeyedRecords } from '../state/keyed-records.js';
import type { StateDb } from '../state/state-db.js';
import { scheduleFor } from './rpo-state.js';

/** A backup may run this long after its due time before the entry is LATE, unless the entry says. */
export const DEFAULT_GRACE = '1h';

export class PlanStore extends KeyedRecords<PlanEntry> {
  private readonly listeners = new Set<() => void>();

  constructor(state: StateDb, private readonly now: () => number = Date.now) {
    super(state, 'plan', (group) => new HavenError('PLAN_ENTRY_NOT_FOUND', { group }));
  }

  /** Adds or replaces the group's entry, keeping its creation time; flushed before it returns. */
  async set(group: string, input: PlanEntryInput, by: string): Promise<PlanEntry> {
    for (const d of [input.rpo, input.grace, input.rto]) if (d !== undefined) parseDuration(d);
    for (const s of [input.schedule, input.drillSchedule]) if (s !== undefined && s !== DRILL_NEVER) scheduleFor(s);
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
      drillSchedule: input.drillSchedule ?? null,
      linkRateMBps: input.linkRateMBps ?? null,
      created: this.get(group)?.created ?? at,
      updated: at,
      updatedBy: by,
    };
    await this.db.put(group, entry);
    this.changed();
    return entry;
  }

  override async remove(group: string): Promise<boolean> {
    const removed = await super.remove(group);
    if (removed) this.changed();
    return removed;
  }

  /** Calls `fn` after every change; answers the function that stops it. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}
