// The RPO watch's rules (issue 15) as one pure function of the entry, the newest good
// snapshot and the time, so a table-driven test pins them with an injected clock:
//
//   RETIRED  the admin retired the entry: kept for the record, never alerts
//   PAUSED   the admin paused it (a client away for maintenance): no alerts meanwhile
//   BREACH   now >= since + RPO, where `since` is the newest snapshot's commit time or, for a
//            group never backed up, the time the entry was added (so a client that never
//            enrolled breaches once its RPO has passed)
//   LATE     the schedule's first due time after `since`, plus the grace, has passed
//   NEVER    no snapshot yet, and neither of the above
//   OK       otherwise
//
// BREACH wins over LATE: the RPO is the promise, the schedule only the expectation.

import { Cron } from 'croner';
import { HavenError } from '../../../core/src/errors.js';
import type { PlanEntry, RpoState } from '../../../core/src/api/plan.js';
import { parseDuration } from '../../../core/src/time/duration.js';

export interface RpoInput {
  entry: Pick<PlanEntry, 'rpo' | 'schedule' | 'grace' | 'mode' | 'created'>;
  /** Commit time (ms) of the group's newest good snapshot; null when it has none. */
  newestSnapshot: number | null;
  now: number;
  /** The appliance's IANA zone: cron patterns are local to it. */
  timeZone?: string;
}

export interface RpoVerdict {
  state: RpoState;
  reason: string;
  /** ms; null when paused or retired. */
  breachAt: number | null;
  /** ms: the schedule's first due time after the newest backup; null without a schedule. */
  nextDue: number | null;
}

/** A paused croner schedule for `pattern`, or PLAN_SCHEDULE_INVALID. */
export function scheduleFor(pattern: string, timeZone?: string): Cron {
  try {
    return new Cron(pattern, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) });
  } catch (err) {
    throw new HavenError('PLAN_SCHEDULE_INVALID', { schedule: pattern, detail: err instanceof Error ? err.message : String(err) });
  }
}

/** "3h", "2d": the largest whole unit, for reasons people read. */
export function roughly(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function evaluateRpo(input: RpoInput): RpoVerdict {
  const { entry, newestSnapshot, now } = input;
  if (entry.mode === 'retired') return { state: 'RETIRED', reason: 'retired: kept for the record, not watched', breachAt: null, nextDue: null };
  if (entry.mode === 'paused') return { state: 'PAUSED', reason: 'paused by an admin: no alerts until resumed', breachAt: null, nextDue: null };

  const since = newestSnapshot ?? Date.parse(entry.created);
  const breachAt = since + parseDuration(entry.rpo);
  const next = entry.schedule ? scheduleFor(entry.schedule, input.timeZone).nextRun(new Date(since)) : null;
  const nextDue = next ? next.getTime() : null;
  const verdict = (state: RpoState, reason: string): RpoVerdict => ({ state, reason, breachAt, nextDue });

  if (now >= breachAt) {
    return verdict('BREACH', newestSnapshot === null
      ? `no backup in the ${roughly(now - since)} since the entry was added; RPO ${entry.rpo}`
      : `newest backup ${roughly(now - since)} ago; RPO ${entry.rpo}`);
  }
  if (nextDue !== null && now >= nextDue + parseDuration(entry.grace)) {
    return verdict('LATE', `a backup was due ${roughly(now - nextDue)} ago (schedule ${entry.schedule as string}, grace ${entry.grace})`);
  }
  if (newestSnapshot === null) return verdict('NEVER', `no backup yet; BREACH in ${roughly(breachAt - now)} without one`);
  return verdict('OK', `newest backup ${roughly(now - since)} ago; RPO ${entry.rpo}`);
}
