// The scheduled summary (`reports.summaryCron`): the report of the period since the previous
// slot of the same schedule, sent through the notifier as one `report.summary` event
// (severity info), whose text names each group's RPO compliance and missed backups.

import type { GroupReport, Report } from '../../../core/src/api/reports.js';
import { size } from '../../../core/src/text/size.js';
import { roughly } from '../plan/rpo-state.js';

export const SUMMARY_KIND = 'report.summary';

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

export function groupLine(g: GroupReport): string {
  const parts = [`${g.backups.taken} backup(s)`];
  if (g.backups.withWarnings > 0) parts.push(`${g.backups.withWarnings} with warnings (${g.backups.warnings} in all, such as files skipped or changed while read)`);
  if (!g.planned) parts.push('unplanned: no protection plan entry');
  else {
    parts.push(g.rpo.compliance === null ? `RPO ${g.rpo.rpo as string}: not measured` : `RPO ${g.rpo.rpo as string} kept ${percent(g.rpo.compliance)} of the time`);
    if (g.rpo.longestGapSeconds !== null && g.rpo.compliance !== null && g.rpo.compliance < 1) parts.push(`longest gap ${roughly(g.rpo.longestGapSeconds * 1000)}`);
    parts.push(g.missed.status === 'counted' ? `${g.missed.missed as number} missed of ${g.missed.expected as number} expected` : `missed: ${g.missed.status}`);
  }
  if (g.drills.runs > 0) parts.push(`drills ${g.drills.passed}/${g.drills.runs} passed`);
  if (g.verification.damagedSnapshots.length > 0) parts.push(`${g.verification.damagedSnapshots.length} damaged snapshot(s)`);
  return `${g.group} (${g.state}): ${parts.join(', ')}`;
}

export function summaryText(report: Report): { subject: string; message: string } {
  const d = report.datastore;
  const missing = report.groups.filter((g) => (g.missed.missed ?? 0) > 0 || (g.rpo.compliance !== null && g.rpo.compliance < 1));
  return {
    subject: `Backup report ${report.since.slice(0, 10)} to ${report.until.slice(0, 10)}: ${report.groups.length} group(s), `
      + `${missing.length === 0 ? 'every goal kept' : `${missing.length} short of its goal`}`,
    message: [
      `From ${report.since} to ${report.until}:`,
      ...report.groups.map((g) => `- ${groupLine(g)}`),
      `Datastore: ${d.backupsTaken} backup(s)${d.backupsWithWarnings > 0 ? ` (${d.backupsWithWarnings} with warnings)` : ''}, ${size(d.data.newBytes)} new, ${size(d.data.dedupBytes)} deduplicated; `
        + `${size(d.storedBytes)} stored in ${d.snapshots} snapshot(s); GC gave back ${size(d.gcReclaimedBytes + d.gcCompactionFreedBytes)} in ${d.gcRuns} run(s).`,
    ].join('\n'),
  };
}
