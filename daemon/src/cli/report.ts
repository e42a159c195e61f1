// `havend report [--group G] [--since DATE] [--until DATE] [--format text|json|csv]`: the report
// of a period (default the last 7 days) through the running daemon's control socket. json and
// csv print the API's answer as it comes (GET /api/v1/reports); text, the default, one line per
// group and one for the datastore.

import type { Report } from '../../../core/src/api/reports.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { summaryText } from '../report/report-summary.js';
import { EXIT } from './exit-codes.js';
import { localClientFor } from './local-client.js';

const USAGE = 'havend report [--group G] [--since DATE|DURATION] [--until DATE] [--format text|json|csv] [--data DIR] [--config FILE]';
const FORMATS = new Set(['text', 'json', 'csv']);

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    data: { type: 'string' }, config: { type: 'string' }, group: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' },
    format: { type: 'string' },
  }, true);
  const format = values.format ?? 'text';
  if (positionals.length > 0 || !FORMATS.has(format)) throw new UsageError(USAGE);
  const query = new URLSearchParams();
  for (const key of ['group', 'since', 'until'] as const) if (values[key] !== undefined) query.set(key, values[key] as string);
  if (format !== 'text') query.set('format', format);
  const client = localClientFor(values);
  const body = await client.text('GET', `/api/v1/reports?${query.toString()}`);
  if (format !== 'text') {
    process.stdout.write(format === 'json' && !body.endsWith('\n') ? `${body}\n` : body);
    return EXIT.ok;
  }
  const report = JSON.parse(body) as Report;
  const { message } = summaryText(report);
  process.stdout.write(`${message}\n`);
  return EXIT.ok;
}
