// One group's report over a period, from what the appliance recorded: the group's snapshots
// (commit times and stats) and those deleted since (commit times only), the plan entry, verification's runs and damaged snapshots, the
// drills' history and whatever is known of the offsite copy. Pure: the service gathers the
// inputs, this turns them into figures.

import type { DrillRun } from '../../../core/src/api/drills.js';
import type { PlanEntry, RpoState } from '../../../core/src/api/plan.js';
import type { DataTotals, Durations, GroupReport, MissedBackups, OffsiteReport, ReportDay, RpoCompliance } from '../../../core/src/api/reports.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { DamagedSnapshot, VerifyRun } from '../../../core/src/api/verify.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import { daysOf, inPeriod, type Period } from './period.js';
import { missedSlots, rpoCompliance } from './report-math.js';

const MAX_LISTED_SLOTS = 100;

export interface GroupInputs {
  group: string;
  entry: PlanEntry | null;
  state: RpoState | 'UNPLANNED';
  /** Every snapshot of the group, oldest first. */
  snapshots: readonly SnapshotSummary[];
  /** Commit times (ms, ascending) of the group's snapshots deleted since (deleted-commits.ts). */
  deletedCommits: readonly number[];
  isDamaged: (id: string) => boolean;
  damaged: readonly DamagedSnapshot[];
  /** Verification runs (every group's); those of other groups are skipped. */
  verifyRuns: readonly VerifyRun[];
  /** This group's drills. */
  drills: readonly DrillRun[];
  offsite: OffsiteReport;
}

export interface Clock {
  period: Period;
  now: number;
  timeZone: string;
  /** The period's days (daysOf): the same for every group, so found once per report. */
  days?: ReadonlyArray<{ day: string; from: number; to: number }>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function emptyData(): DataTotals {
  return { logicalBytes: 0, newBytes: 0, storedNewBytes: 0, dedupBytes: 0, objectsNew: 0, objectsDeduplicated: 0 };
}

/** What one snapshot added and referenced, from its stats (client counters and session counters). */
export function dataOf(s: SnapshotSummary): DataTotals {
  const st = s.stats;
  const logical = st.bytes ?? 0;
  const raw = st.sessionRawBytesNew ?? 0;
  return {
    logicalBytes: logical, newBytes: raw, storedNewBytes: st.sessionBytesNew ?? 0, dedupBytes: Math.max(0, logical - raw),
    objectsNew: st.sessionObjectsNew ?? 0, objectsDeduplicated: (st.sessionHasPresent ?? 0) + (st.sessionObjectsDuplicate ?? 0),
  };
}

export function addData(into: DataTotals, d: DataTotals): DataTotals {
  for (const k of Object.keys(into) as Array<keyof DataTotals>) into[k] += d[k];
  return into;
}

function durationsOf(taken: readonly SnapshotSummary[]): Durations {
  const ms: number[] = [];
  let session = 0;
  let client = 0;
  for (const s of taken) {
    if (s.stats.sessionDurationMs !== undefined) {
      ms.push(s.stats.sessionDurationMs);
      session++;
    } else if (s.stats.durationMs !== undefined) {
      ms.push(s.stats.durationMs);
      client++;
    }
  }
  const total = ms.reduce((a, b) => a + b, 0);
  return {
    measured: ms.length, totalMs: total, averageMs: ms.length ? Math.round(total / ms.length) : null, longestMs: ms.length ? Math.max(...ms) : null,
    source: session && client ? 'mixed' : session ? 'session' : client ? 'client' : 'none',
  };
}

function missedOf(inputs: GroupInputs, clock: Clock, commits: number[]): MissedBackups {
  const schedule = inputs.entry?.schedule ?? null;
  const none = (status: MissedBackups['status']): MissedBackups => ({ status, schedule, expected: null, missed: null, pending: null, missedSlots: [] });
  if (inputs.entry === null) return none('unplanned');
  if (schedule === null) return none('no schedule');
  // Nothing was expected before the entry existed (as its RPO is measured from then).
  const since = Math.max(clock.period.since, Date.parse(inputs.entry.created));
  const count = missedSlots(schedule, clock.timeZone, { since, until: clock.period.until, now: clock.now }, commits);
  if (count === null) return none('too many slots');
  return {
    status: 'counted', schedule, expected: count.expected, missed: count.missed.length, pending: iso(count.pending),
    missedSlots: count.missed.slice(0, MAX_LISTED_SLOTS).map((t) => new Date(t).toISOString()),
  };
}

/** The window an RPO is measured over: from the entry's creation when later, never past now. */
function rpoWindow(entry: PlanEntry, clock: Clock): { from: number; to: number } {
  return { from: Math.max(clock.period.since, Date.parse(entry.created)), to: Math.min(clock.period.until, clock.now) };
}

function complianceOf(entry: PlanEntry | null, good: number[], from: number, to: number): RpoCompliance {
  if (entry === null) return { rpo: null, compliance: null, measuredSeconds: 0, breachSeconds: 0, longestGapSeconds: null, longestGapFrom: null };
  const c = rpoCompliance(parseDuration(entry.rpo), Date.parse(entry.created), good, from, to);
  return {
    rpo: entry.rpo, compliance: c.measuredMs > 0 ? 1 - c.breachMs / c.measuredMs : null,
    measuredSeconds: Math.floor(c.measuredMs / 1000), breachSeconds: Math.floor(c.breachMs / 1000),
    longestGapSeconds: c.longestGapMs === null ? null : Math.floor(c.longestGapMs / 1000), longestGapFrom: iso(c.longestGapFrom),
  };
}

export function groupReport(inputs: GroupInputs, clock: Clock): GroupReport {
  const { period } = clock;
  const { entry } = inputs;
  const taken = inputs.snapshots.filter((s) => inPeriod(s.time, period));
  const deleted = inputs.deletedCommits.filter((t) => t >= period.since && t < period.until);
  // A snapshot deleted since was a backup while it existed: it kept its slot and the RPO.
  const ascending = (a: number, b: number): number => a - b;
  const commits = [...inputs.snapshots.map((s) => Date.parse(s.time)), ...inputs.deletedCommits].sort(ascending);
  const good = [...inputs.snapshots.filter((s) => !inputs.isDamaged(s.id)).map((s) => Date.parse(s.time)), ...inputs.deletedCommits].sort(ascending);
  const takenTimes = commits.filter((t) => t >= period.since && t < period.until);
  const window = entry === null ? null : rpoWindow(entry, clock);

  const verifyRuns = inputs.verifyRuns.filter((r) => (r.group === null || r.group === inputs.group) && inPeriod(r.ended, period));
  const drills = inputs.drills.filter((r) => inPeriod(r.ended, period));
  const latestRto = drills.find((r) => r.rtoEstimateSeconds !== null) ?? null;
  const passed = drills.filter((r) => r.result === 'passed').length;

  const days: ReportDay[] = (clock.days ?? daysOf(period, clock.timeZone)).map(({ day, from, to }) => {
    const ofDay = (t: number): boolean => t >= from && t < to;
    const data = taken.filter((s) => ofDay(Date.parse(s.time))).reduce((acc, s) => addData(acc, dataOf(s)), emptyData());
    const compliance = entry === null || window === null ? null
      : complianceOf(entry, good, Math.max(from, window.from), Math.min(to, window.to)).compliance;
    return { day, backups: takenTimes.filter(ofDay).length, newBytes: data.newBytes, dedupBytes: data.dedupBytes, compliance };
  });

  return {
    group: inputs.group,
    planned: entry !== null,
    mode: entry?.mode ?? null,
    state: inputs.state,
    backups: {
      taken: takenTimes.length, deletedSince: deleted.length,
      withWarnings: taken.filter((s) => (s.stats.warnings ?? 0) > 0).length, warnings: taken.reduce((n, s) => n + (s.stats.warnings ?? 0), 0),
      first: iso(takenTimes[0] ?? null), last: iso(takenTimes[takenTimes.length - 1] ?? null),
    },
    missed: missedOf(inputs, clock, commits),
    rpo: window === null ? complianceOf(null, good, 0, 0) : complianceOf(entry, good, window.from, window.to),
    data: taken.reduce((acc, s) => addData(acc, dataOf(s)), emptyData()),
    durations: durationsOf(taken),
    verification: {
      runs: verifyRuns.length,
      failedRuns: verifyRuns.filter((r) => r.status === 'failed').length,
      damagedSnapshots: inputs.damaged.filter((d) => d.group === inputs.group && (inPeriod(d.time, period) || inPeriod(d.found, period)))
        .map((d) => ({ id: d.id, time: d.time, found: d.found })),
    },
    drills: {
      runs: drills.length, passed, failed: drills.length - passed, passRate: drills.length ? passed / drills.length : null,
      latestRtoEstimateSeconds: latestRto?.rtoEstimateSeconds ?? null, rtoTargetSeconds: latestRto?.rtoTargetSeconds ?? null,
      latestDrill: drills[0]?.ended ?? null, latestResult: drills[0]?.result ?? null,
    },
    offsite: inputs.offsite,
    days,
  };
}
