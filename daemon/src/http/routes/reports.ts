// Reports (admin only): GET /api/v1/reports?group=&since=&until=&format=json|csv. CSV is sent
// as text/csv with a file name, so a browser's download link saves it.

import type { ReportQuery } from '../../../../core/src/api/reports.js';
import { reportCsv } from '../../report/report-csv.js';
import type { ReportService } from '../../report/report-service.js';
import type { Handler } from '../route-types.js';

export function reportRoutes(reports: Pick<ReportService, 'build'>) {
  const get: Handler<{ querystring: typeof ReportQuery }> = async (req, reply) => {
    const { format, ...request } = req.query;
    const report = reports.build(request);
    if (format !== 'csv') return report;
    const name = `haven-report-${report.group ?? 'all'}-${report.since.slice(0, 10)}-${report.until.slice(0, 10)}.csv`;
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(reportCsv(report));
  };
  return { get };
}
