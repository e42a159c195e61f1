// What the Reports page derives from a report: the charts' days summed (or averaged) over the
// groups shown, and the figures as people read them.

import type { GroupReport, Report } from '$core/api/reports.js';

export interface DayTotals {
  day: string;
  backups: number;
  newBytes: number;
  dedupBytes: number;
  /** The mean of the planned groups' compliance that day; null when none was measured. */
  compliance: number | null;
}

export function dayTotals(report: Report): DayTotals[] {
  const byDay = new Map<string, DayTotals & { measured: number; share: number }>();
  for (const g of report.groups) {
    for (const d of g.days) {
      const t = byDay.get(d.day) ?? { day: d.day, backups: 0, newBytes: 0, dedupBytes: 0, compliance: null, measured: 0, share: 0 };
      t.backups += d.backups;
      t.newBytes += d.newBytes;
      t.dedupBytes += d.dedupBytes;
      if (d.compliance !== null) {
        t.measured++;
        t.share += d.compliance;
      }
      byDay.set(d.day, t);
    }
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day))
    .map(({ measured, share, ...t }) => ({ ...t, compliance: measured > 0 ? share / measured : null }));
}

export function percent(share: number | null): string {
  return share === null ? '—' : `${(share * 100).toFixed(share === 1 || share === 0 ? 0 : 1)}%`;
}

/** "3 s", "12 min", "5 h", "2 d". */
export function span(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

export function missedText(g: GroupReport): string {
  const m = g.missed;
  if (m.status !== 'counted') return m.status;
  return `${m.missed as number} of ${m.expected as number}${m.pending ? ' (+1 open)' : ''}`;
}

/** ok / warn / bad for the compliance figure's colour. */
export function complianceClass(share: number | null): string {
  if (share === null) return '';
  return share >= 1 ? 'ok' : share >= 0.95 ? 'warn' : 'bad';
}
