// `havend drill GROUP [--wait] [--json]`: a recovery drill of one group through the running
// daemon's control socket. Without --wait it prints the task; with --wait it follows it and
// prints the drill's result (--json: the DrillRun: files and bytes compared, the rates,
// `rtoEstimateSeconds`, `result`). Exit 1 when the drill failed.

import type { DrillRun, DrillStartResponse, DrillStatus } from '../../../core/src/api/drills.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { size } from '../../../core/src/text/size.js';
import { failureOf } from '../drill/drill-failure.js';
import { EXIT } from './exit-codes.js';
import { localClientFor, waitForTask } from './local-client.js';
import { runFromHistory } from './task-history.js';

const USAGE = 'havend drill GROUP [--wait] [--json] [--data DIR] [--config FILE]';

function formatRun(run: DrillRun): string {
  const bound = run.rateBound === 'link' ? ', bounded by the client\'s link rate' : '';
  const rto = run.rtoEstimateSeconds === null ? 'unknown' : `${Math.round(run.rtoEstimateSeconds)} s${bound}`;
  const target = run.rtoTargetSeconds === null ? 'no RTO target' : `target ${run.rtoTargetSeconds} s`;
  return [
    `drill of ${run.group} ${run.result} (task ${run.task})${run.result === 'failed' ? `: ${failureOf(run)}` : ''}`,
    ...run.snapshots.map((s) => `  snapshot ${s.id.slice(0, 12)} (${s.time}): ${s.whole ? 'whole' : 'sample'}, ${s.filesCompared} file(s), `
      + `${size(s.bytesCompared)} compared; first byte after ${s.timeToFirstByteMs} ms, restored in ${(s.restoreMs / 1000).toFixed(1)} s`),
    `  ${size(run.bytesPerSecond)}/s, ${run.filesPerSecond.toFixed(1)} files/s; RTO estimate ${rto} (${target})`,
  ].join('\n');
}

export async function drillCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, wait: { type: 'boolean' } }, true);
  const [group] = positionals;
  if (group === undefined || positionals.length > 1) throw new UsageError(USAGE);
  const client = localClientFor(values);
  const started = await client.call<DrillStartResponse>('POST', `/api/v1/drills/${encodeURIComponent(group)}`);
  const { task, alreadyRunning } = started;
  const what = alreadyRunning ? `a drill is already running (task ${task.id}, ${task.subject ?? ''})` : `drill of ${group} started: task ${task.id}`;
  if (!values.wait) {
    process.stdout.write(values.json ? `${JSON.stringify(started, null, 2)}\n` : `${what} (havend drill --wait follows it)\n`);
    return EXIT.ok;
  }
  if (!values.json) process.stderr.write(`${what}\n`);
  const ended = await waitForTask(client, task.id, !values.json);
  const run = await runFromHistory(async () => (await client.call<DrillStatus>('GET', '/api/v1/drills')).history, ended, 'drill');
  process.stdout.write(values.json ? `${JSON.stringify(run, null, 2)}\n` : `${formatRun(run)}\n`);
  return run.result === 'passed' ? EXIT.ok : EXIT.failure;
}
