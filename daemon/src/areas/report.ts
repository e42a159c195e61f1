// The reports area (issue 15): the report service over what the other areas recorded, and the
// scheduled summary (`reports.summaryCron`), a scheduler job like any other, so the dead-man
// switches watch it too. It starts after the areas it reads (plan, notify, gc, verification,
// drills) and before the HTTP area that serves reports.

import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { periodOf } from '../jobs/dead-man.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { Notifier } from '../notify/notifier.js';
import type { OffsiteOf } from '../report/offsite.js';
import { ReportService, type ReportServiceDeps } from '../report/report-service.js';
import { SUMMARY_KIND, summaryText } from '../report/report-summary.js';

export const SUMMARY_JOB = 'reports.summary';

export interface ReportAreaDeps extends Omit<ReportServiceDeps, 'offsite'> {
  config: Config['reports'];
  scheduler: Scheduler;
  notifier: Pick<Notifier, 'announce'>;
  /** What is known of each group's offsite copy (replication's view); not configured when absent. */
  offsite: OffsiteOf;
  log: Pick<Logger, 'info'>;
}

export function reportArea(deps: ReportAreaDeps) {
  const reports = new ReportService(deps);
  /** Builds the report of the schedule's last period (up to `until`) and sends its summary. */
  const sendSummary = async (until: number): Promise<void> => {
    const periodMs = periodOf(deps.config.summaryCron) ?? 7 * 86_400_000;
    const report = reports.build({ since: new Date(until - periodMs).toISOString(), until: new Date(until).toISOString() });
    const { subject, message } = summaryText(report);
    const queued = await deps.notifier.announce({ id: `${SUMMARY_KIND}.${report.until}`, kind: SUMMARY_KIND, severity: 'info', group: null, subject, message });
    deps.log.info({ queued, since: report.since, until: report.until }, 'report summary sent');
  };
  return {
    name: 'report',
    reports,
    start(): void {
      if (deps.config.summaryCron === '') return;
      deps.scheduler.cron(SUMMARY_JOB, deps.config.summaryCron, (ctx) => sendSummary(Math.floor(ctx.scheduledAt.getTime() / 1000) * 1000));
    },
    stop(): void {
      deps.scheduler.remove(SUMMARY_JOB);
    },
  };
}
