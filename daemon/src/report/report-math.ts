// The arithmetic of a report, as pure functions of times in milliseconds (tests pin them with
// fixed clocks):
//
// - missed backups: the schedule's cron slots in [since, until); a slot is missed when no
//   snapshot committed in [slot, next slot). A slot whose next slot has not come by `now` is
//   still open: pending, neither kept nor missed.
// - RPO compliance: at each instant t of the measured window, the reference is the newest good
//   snapshot committed at or before t, else the entry's creation (as the RPO watch measures a
//   group never backed up). t is in breach when t - reference >= RPO (BREACH in rpo-state.ts).
//   The longest gap is the largest age the reference reached within the window.

import { scheduleFor } from '../plan/rpo-state.js';

/** More slots than this in one period (a per-second schedule over days) are not enumerated. */
export const MAX_SLOTS = 20_000;

export interface SlotCount {
  expected: number;
  missed: number[];
  pending: number | null;
}

/** Null when the period holds more than MAX_SLOTS slots. `commits` sorted ascending. */
export function missedSlots(schedule: string, timeZone: string, window: { since: number; until: number; now: number }, commits: readonly number[]): SlotCount | null {
  const cron = scheduleFor(schedule, timeZone);
  const next = (after: number): number | null => cron.nextRun(new Date(after))?.getTime() ?? null;
  const out: SlotCount = { expected: 0, missed: [], pending: null };
  const end = Math.min(window.until, window.now);
  let slot = next(window.since - 1);
  let i = 0; // commits before `slot` are behind us
  for (let n = 0; slot !== null && slot < end; n++) {
    if (n >= MAX_SLOTS) return null;
    const following = next(slot);
    if (following === null || following > window.now) {
      out.pending = slot;
      break;
    }
    while (i < commits.length && (commits[i] as number) < slot) i++;
    out.expected++;
    if (!(i < commits.length && (commits[i] as number) < following)) out.missed.push(slot);
    slot = following;
  }
  return out;
}

export interface Compliance {
  measuredMs: number;
  breachMs: number;
  longestGapMs: number | null;
  longestGapFrom: number | null;
}

/**
 * Over [from, to): `good` are the commit times of good snapshots, sorted ascending (earlier
 * ones included: they are the reference at the window's start). `created` is the entry's
 * creation, the reference before any snapshot.
 */
export function rpoCompliance(rpoMs: number, created: number, good: readonly number[], from: number, to: number): Compliance {
  const result: Compliance = { measuredMs: Math.max(0, to - from), breachMs: 0, longestGapMs: null, longestGapFrom: null };
  if (to <= from) return result;
  // The references in force during the window, each with the part of the window it covers.
  let k = good.length - 1;
  while (k >= 0 && (good[k] as number) > from) k--;
  let reference = k >= 0 ? (good[k] as number) : Math.min(created, from);
  let start = from;
  for (let j = k + 1; j <= good.length; j++) {
    const stop = j < good.length ? Math.min(good[j] as number, to) : to;
    if (stop > start) {
      result.breachMs += Math.max(0, stop - Math.max(start, reference + rpoMs));
      const age = stop - reference;
      if (result.longestGapMs === null || age > result.longestGapMs) {
        result.longestGapMs = age;
        result.longestGapFrom = reference;
      }
    }
    if (j >= good.length || (good[j] as number) >= to) break;
    reference = good[j] as number;
    start = reference;
  }
  return result;
}
