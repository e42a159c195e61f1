// Builds reports (issue 15): for each group in scope, its inputs are gathered from the
// catalogue, the plan, verification, drills and the offsite view, and turned into figures by
// group-report.ts; the datastore row adds the groups up and reads what only the datastore
// knows (stored bytes now, garbage collection in the period).

import type { DatastoreUsage } from '../../../core/src/api/datastore.js';
import type { DrillRun } from '../../../core/src/api/drills.js';
import type { GcRun } from '../../../core/src/api/gc.js';
import type { PlanEntry, RpoState } from '../../../core/src/api/plan.js';
import type { DatastoreReport, GroupReport, Report } from '../../../core/src/api/reports.js';
import type { GroupSummary, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { DamagedSnapshot, VerifyRun } from '../../../core/src/api/verify.js';
import { HavenError } from '../../../core/src/errors.js';
import { addData, emptyData, groupReport } from './group-report.js';
import type { OffsiteOf } from './offsite.js';
import { daysOf, inPeriod, reportPeriod, type Period } from './period.js';

export interface ReportServiceDeps {
  catalog: { groups(): GroupSummary[]; snapshots(group: string): SnapshotSummary[] };
  /** Commit times of snapshots deleted since (report/deleted-commits.ts). */
  deleted: { of(group: string): number[] };
  plans: { get(group: string): PlanEntry | null; list(): PlanEntry[] };
  /** The plan entry's RPO state now, null without an entry. */
  rpoState: (group: string) => RpoState | null;
  verification: { history(): VerifyRun[]; damagedSnapshots(): DamagedSnapshot[]; isDamaged(id: string): boolean };
  /** Finished drills, newest first. */
  drills: (group: string) => DrillRun[];
  /** Finished garbage collection runs, newest first. */
  gcRuns: () => GcRun[];
  usage: () => DatastoreUsage;
  offsite: OffsiteOf;
  now: () => number;
  timeZone: string;
}

export interface ReportRequest {
  group?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}


export class ReportService {
  constructor(private readonly deps: ReportServiceDeps) {}

  /** The groups a report covers: every group with snapshots and every plan entry's, by name. */
  groups(): string[] {
    const names = new Set([...this.deps.catalog.groups().filter((g) => g.snapshots > 0).map((g) => g.name), ...this.deps.plans.list().map((e) => e.group)]);
    return [...names].sort();
  }

  build(request: ReportRequest = {}): Report {
    const { deps } = this;
    const now = deps.now();
    const period = reportPeriod(request, now);
    const all = this.groups();
    if (request.group !== undefined && !all.includes(request.group)) throw new HavenError('REPORT_GROUP_NOT_FOUND', { group: request.group });
    const names = request.group === undefined ? all : [request.group];
    const verifyRuns = deps.verification.history();
    const damaged = deps.verification.damagedSnapshots();
    const clock = { period, now, timeZone: deps.timeZone, days: daysOf(period, deps.timeZone) };
    const groups = names.map((group) => {
      const entry = deps.plans.get(group);
      return groupReport({
        group, entry, state: deps.rpoState(group) ?? 'UNPLANNED', snapshots: deps.catalog.snapshots(group), deletedCommits: deps.deleted.of(group),
        isDamaged: (id) => deps.verification.isDamaged(id), damaged, verifyRuns, drills: deps.drills(group), offsite: deps.offsite(group, entry),
      }, clock);
    });
    const scoped = verifyRuns.filter((r) => inPeriod(r.ended, period) && (request.group === undefined || r.group === null || r.group === request.group));
    return {
      since: new Date(period.since).toISOString(), until: new Date(period.until).toISOString(), generated: new Date(now).toISOString(),
      timeZone: deps.timeZone, group: request.group ?? null, groups,
      datastore: this.datastore(groups, period, scoped),
    };
  }

  private datastore(groups: GroupReport[], period: Period, verifyRuns: VerifyRun[]): DatastoreReport {
    const usage = this.deps.usage();
    const gc = this.deps.gcRuns().filter((r) => inPeriod(r.ended, period));
    const sum = (f: (g: GroupReport) => number): number => groups.reduce((n, g) => n + f(g), 0);
    return {
      id: usage.id, storedBytes: usage.storedBytes, logicalBytes: usage.logicalBytes,
      groups: this.deps.catalog.groups().filter((g) => g.snapshots > 0).length, snapshots: usage.snapshots,
      backupsTaken: sum((g) => g.backups.taken), backupsWithWarnings: sum((g) => g.backups.withWarnings), missed: sum((g) => g.missed.missed ?? 0),
      data: groups.reduce((acc, g) => addData(acc, g.data), emptyData()),
      verificationRuns: verifyRuns.length, failedVerificationRuns: verifyRuns.filter((r) => r.status === 'failed').length,
      damagedSnapshots: sum((g) => g.verification.damagedSnapshots.length),
      drills: sum((g) => g.drills.runs), failedDrills: sum((g) => g.drills.failed),
      gcRuns: gc.length,
      gcReclaimedBytes: gc.reduce((n, r) => n + (r.summary?.reclaimedBytes ?? 0), 0),
      gcCompactionFreedBytes: gc.reduce((n, r) => n + (r.summary?.compaction.bytesFreed ?? 0), 0),
    };
  }
}
