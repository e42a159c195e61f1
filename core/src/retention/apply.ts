// Which snapshots of one group a retention policy keeps, and why. Pure: no clock, no store;
// the prune task feeds it a group's snapshots and deletes what it marks, and the preview
// (dry run) shows the same decisions, so what an admin previews is what a prune does.
//
// Semantics (those of restic's `forget`, https://restic.readthedocs.io/en/stable/060_forget.html,
// except where noted):
// - Snapshots are ordered newest first (by time; equal times by id, so the order and hence
//   the decisions never depend on the input order). The result lists every snapshot in
//   that order with keep/remove and all the reasons that apply.
// - keepLast N keeps the N newest snapshots ('last 1' is the newest).
// - keepHourly/Daily/Weekly/Monthly/Yearly N keep the newest snapshot of each of the N most
//   recent periods THAT HAVE A SNAPSHOT: a day without a backup does not use up one of
//   keep-daily's days, so 7 daily backups survive a week of downtime. Periods are local
//   to the appliance's time zone (zoned-calendar.ts): a day is a local date, 23 or 25
//   hours long across a DST change; weeks are ISO 8601 weeks (Monday start, 2020-W53,
//   2024-W01 begins 2024-01-01); an hour is a wall-clock hour at one UTC offset, so the
//   repeated hour of a fall-back change is two periods (restic merges them into one and
//   drops an hourly backup) and the skipped hour of a spring-forward change is none.
// - keepWithin D keeps every snapshot at most D (inclusive) older than the group's newest
//   unprotected snapshot, not than now: a client that stopped backing up keeps its last D
//   of history however long it has been away.
// - Protected snapshots are always kept (reason 'protected') and count toward no rule:
//   they take no keep-last slot, use up no period, and are not keepWithin's anchor. So
//   protecting a snapshot never changes what happens to the others.
// - A policy with no rule keeps everything ('no policy: never pruned'): a group without a
//   policy is never pruned. A policy with rules always keeps the newest unprotected
//   snapshot (validatePolicy refuses one that keeps nothing). A removed snapshot's reason
//   is 'no rule keeps it'.

import { HavenError } from '../errors.js';
import { parseDuration } from '../time/duration.js';
import { isoWeek, zonedCalendar, type ZonedFields } from '../time/zoned-calendar.js';
import { PERIOD_RULES, hasRules, validatePolicy, type PeriodRule, type RetentionPolicy } from './policy.js';

export interface RetentionSnapshot {
  readonly id: string;
  /** Epoch milliseconds. */
  readonly time: number;
  readonly protected?: boolean;
}

export interface RetentionOptions {
  /** The appliance's IANA time zone (e.g. Europe/Berlin); calendar periods are local to it. */
  readonly timeZone: string;
}

export interface RetentionDecision {
  readonly id: string;
  readonly keep: boolean;
  /** Why: every rule that keeps it, in policy order, or why nothing does. Never empty. */
  readonly reasons: readonly string[];
}

export const REASON_PROTECTED = 'protected';
export const REASON_NO_POLICY = 'no policy: never pruned';
export const REASON_NO_RULE = 'no rule keeps it';

const PERIOD_NAMES: Record<PeriodRule, string> = {
  keepHourly: 'hourly',
  keepDaily: 'daily',
  keepWeekly: 'weekly',
  keepMonthly: 'monthly',
  keepYearly: 'yearly',
};

/**
 * Decides keep/remove for every snapshot of one group, newest first. Validates the policy,
 * the time zone and the snapshots (unique ids, finite times); throws VALIDATION_FAILED.
 */
export function applyRetention(snapshots: readonly RetentionSnapshot[], policy: RetentionPolicy, options: RetentionOptions): RetentionDecision[] {
  const rules = validatePolicy(policy);
  const local = zonedCalendar(options.timeZone);
  const sorted = sortNewestFirst(snapshots);
  if (!hasRules(rules)) {
    return sorted.map((s) => ({ id: s.id, keep: true, reasons: [s.protected === true ? REASON_PROTECTED : REASON_NO_POLICY] }));
  }

  const newest = sorted.find((s) => s.protected !== true)?.time;
  const withinMs = rules.keepWithin === undefined ? undefined : parseDuration(rules.keepWithin);
  // Per period rule, the periods it has used so far; the first snapshot met in a period
  // is its newest, because we walk newest first.
  const used = new Map<PeriodRule, Set<string>>(PERIOD_RULES.map((r) => [r, new Set<string>()]));
  let lastKept = 0;

  return sorted.map((s) => {
    if (s.protected === true) return { id: s.id, keep: true, reasons: [REASON_PROTECTED] };
    const reasons: string[] = [];
    if (rules.keepLast !== undefined && lastKept < rules.keepLast) reasons.push(`last ${++lastKept}`);
    const fields = local(s.time);
    for (const rule of PERIOD_RULES) {
      const periods = used.get(rule);
      const limit = rules[rule] ?? 0;
      if (periods === undefined || periods.size >= limit) continue;
      const period = periodLabel(rule, fields);
      if (periods.has(period)) continue;
      periods.add(period);
      reasons.push(`${PERIOD_NAMES[rule]} ${period}`);
    }
    if (withinMs !== undefined && newest !== undefined && newest - s.time <= withinMs) {
      reasons.push(`within ${rules.keepWithin} of the newest`);
    }
    return reasons.length > 0 ? { id: s.id, keep: true, reasons } : { id: s.id, keep: false, reasons: [REASON_NO_RULE] };
  });
}

function sortNewestFirst(snapshots: readonly RetentionSnapshot[]): RetentionSnapshot[] {
  const ids = new Set<string>();
  for (const s of snapshots) {
    if (!Number.isFinite(s.time)) throw invalid(`snapshot ${s.id} has no valid time (${String(s.time)})`);
    if (ids.has(s.id)) throw invalid(`snapshot ${s.id} is listed twice`);
    ids.add(s.id);
  }
  return [...snapshots].sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The period a snapshot falls in, as a label that is also its identity ('2024-03-31', '2024-W01'). */
function periodLabel(rule: PeriodRule, f: ZonedFields): string {
  const date = `${pad(f.year, 4)}-${pad(f.month, 2)}`;
  switch (rule) {
    case 'keepHourly':
      return `${date}-${pad(f.day, 2)}T${pad(f.hour, 2)}:00${formatOffset(f.offsetSeconds)}`;
    case 'keepDaily':
      return `${date}-${pad(f.day, 2)}`;
    case 'keepWeekly': {
      const w = isoWeek(f.year, f.month, f.day);
      return `${pad(w.year, 4)}-W${pad(w.week, 2)}`;
    }
    case 'keepMonthly':
      return date;
    case 'keepYearly':
      return pad(f.year, 4);
  }
}

/** +02:00, -03:30; seconds only where a historical offset has them. */
function formatOffset(seconds: number): string {
  const abs = Math.abs(seconds);
  const hm = `${seconds < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor(abs / 60) % 60, 2)}`;
  return abs % 60 === 0 ? hm : `${hm}:${pad(abs % 60, 2)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function invalid(detail: string): HavenError {
  return new HavenError('VALIDATION_FAILED', { detail });
}
