// The reports area (issue 15): the report service over what the other areas recorded, and the
// scheduled summary (`reports.summaryCron`), a scheduler job like any other, so the dead-man
// switches watch it too. It starts after the areas it reads (plan, notify, gc, verification,
// drills) and before the HTTP area that serves reports.

import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { Notifier } from '../notify/notifier.js';
import { scheduleFor } from '../plan/rpo-state.js';
import { ReportService, type ReportServiceDeps } from '../report/report-service.js';
import { SUMMARY_KIND, summaryText } from '../report/report-summary.js';

export const SUMMARY_JOB = 'reports.summary';
const WEEK_MS = 7 * 86_400_000;

/** `offsite` is where what replication knows of each group's offsite copy plugs in (report/offsite.ts). */
export interface ReportAreaDeps extends ReportServiceDeps {
  config: Config['reports'];
  scheduler: Scheduler;
  notifier: Pick<Notifier, 'announce'>;
  log: Pick<Logger, 'info'>;
}

export function reportArea(deps: ReportAreaDeps) {
  const reports = new ReportService(deps);
  /** Builds the report since the schedule's previous slot up to this one (`until`) and sends its summary. */
  const sendSummary = async (until: number): Promise<void> => {
    const previous = scheduleFor(deps.config.summaryCron, deps.timeZone).previousRuns(1, new Date(until))[0]?.getTime() ?? until - WEEK_MS;
    const report = reports.build({ since: new Date(previous).toISOString(), until: new Date(until).toISOString() });
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
