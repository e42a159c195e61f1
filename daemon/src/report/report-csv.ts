// A report as CSV (RFC 4180): a header row, one row per group, then one row for the datastore;
// CRLF line ends; a field holding a comma, a quote, CR or LF is quoted, its quotes doubled.
// Every column is defined once here with how a group row and the datastore row fill it (empty
// where it does not apply), so the header and the rows cannot drift apart.

import type { DatastoreReport, GroupReport, Report } from '../../../core/src/api/reports.js';

type Cell = string | number | boolean | null;

interface Column {
  name: string;
  group: (g: GroupReport) => Cell;
  datastore: (d: DatastoreReport) => Cell;
}

const none = (): Cell => null;
const both = (name: string, group: Column['group'], datastore: Column['datastore']): Column => ({ name, group, datastore });
const groupOnly = (name: string, group: Column['group']): Column => ({ name, group, datastore: none });
const datastoreOnly = (name: string, datastore: Column['datastore']): Column => ({ name, group: none, datastore });

export const CSV_COLUMNS: readonly Column[] = [
  both('scope', () => 'group', () => 'datastore'),
  both('name', (g) => g.group, (d) => d.id),
  groupOnly('state', (g) => g.state),
  groupOnly('mode', (g) => g.mode),
  both('backups_taken', (g) => g.backups.taken, (d) => d.backupsTaken),
  groupOnly('backups_deleted_since', (g) => g.backups.deletedSince),
  both('backups_with_warnings', (g) => g.backups.withWarnings, (d) => d.backupsWithWarnings),
  groupOnly('warnings', (g) => g.backups.warnings),
  groupOnly('first_backup', (g) => g.backups.first),
  groupOnly('last_backup', (g) => g.backups.last),
  groupOnly('schedule', (g) => g.missed.schedule),
  groupOnly('missed_status', (g) => g.missed.status),
  groupOnly('expected_slots', (g) => g.missed.expected),
  both('missed_slots', (g) => g.missed.missed, (d) => d.missed),
  groupOnly('rpo', (g) => g.rpo.rpo),
  groupOnly('rpo_compliance', (g) => g.rpo.compliance),
  groupOnly('rpo_breach_seconds', (g) => g.rpo.breachSeconds),
  groupOnly('longest_gap_seconds', (g) => g.rpo.longestGapSeconds),
  both('logical_bytes', (g) => g.data.logicalBytes, (d) => d.data.logicalBytes),
  both('new_bytes', (g) => g.data.newBytes, (d) => d.data.newBytes),
  both('stored_new_bytes', (g) => g.data.storedNewBytes, (d) => d.data.storedNewBytes),
  both('dedup_bytes', (g) => g.data.dedupBytes, (d) => d.data.dedupBytes),
  both('objects_new', (g) => g.data.objectsNew, (d) => d.data.objectsNew),
  both('objects_deduplicated', (g) => g.data.objectsDeduplicated, (d) => d.data.objectsDeduplicated),
  groupOnly('durations_measured', (g) => g.durations.measured),
  groupOnly('duration_total_ms', (g) => g.durations.totalMs),
  groupOnly('duration_average_ms', (g) => g.durations.averageMs),
  groupOnly('duration_longest_ms', (g) => g.durations.longestMs),
  groupOnly('duration_source', (g) => g.durations.source),
  both('verify_runs', (g) => g.verification.runs, (d) => d.verificationRuns),
  both('verify_failed_runs', (g) => g.verification.failedRuns, (d) => d.failedVerificationRuns),
  both('damaged_snapshots', (g) => g.verification.damagedSnapshots.length, (d) => d.damagedSnapshots),
  both('drills', (g) => g.drills.runs, (d) => d.drills),
  both('drills_failed', (g) => g.drills.failed, (d) => d.failedDrills),
  groupOnly('drill_pass_rate', (g) => g.drills.passRate),
  groupOnly('rto_estimate_seconds', (g) => g.drills.latestRtoEstimateSeconds),
  groupOnly('rto_target_seconds', (g) => g.drills.rtoTargetSeconds),
  groupOnly('offsite', (g) => (g.offsite.configured ? g.offsite.state : 'not configured')),
  datastoreOnly('stored_bytes', (d) => d.storedBytes),
  datastoreOnly('snapshots_total', (d) => d.snapshots),
  datastoreOnly('groups_total', (d) => d.groups),
  datastoreOnly('gc_runs', (d) => d.gcRuns),
  datastoreOnly('gc_reclaimed_bytes', (d) => d.gcReclaimedBytes),
  datastoreOnly('gc_compaction_freed_bytes', (d) => d.gcCompactionFreedBytes),
];

/** One field, quoted when RFC 4180 requires it. */
export function csvField(value: Cell): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const row = (cells: readonly Cell[]): string => `${cells.map(csvField).join(',')}\r\n`;

/** Every row starts with the period, so rows of several reports can be concatenated. */
export function reportCsv(report: Report): string {
  const period = [report.since, report.until];
  return [
    row(['since', 'until', ...CSV_COLUMNS.map((c) => c.name)]),
    ...report.groups.map((g) => row([...period, ...CSV_COLUMNS.map((c) => c.group(g))])),
    row([...period, ...CSV_COLUMNS.map((c) => c.datastore(report.datastore))]),
  ].join('');
}
