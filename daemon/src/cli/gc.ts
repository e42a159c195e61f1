// `havend gc [--wait] [--json]`: starts a garbage collection run through the running daemon's
// control socket (like `havend pool scrub`). Without --wait it prints the task and returns; a
// run already in progress is the one reported (one run at a time). With --wait it follows the
// task to its end and prints the run's summary (--json: the GcRun); exit 1 unless it succeeded.

import type { GcRun, GcStartResponse, GcStatus, GcSummary } from '../../../core/src/api/gc.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { size } from '../../../core/src/text/size.js';
import { EXIT } from './exit-codes.js';
import { localClientFor, waitForTask } from './local-client.js';
import { runFromHistory } from './task-history.js';

const USAGE = 'havend gc [--wait] [--json] [--data DIR] [--config FILE]';

export function formatGcSummary(s: GcSummary): string[] {
  const c = s.compaction;
  return [
    `  marked ${s.marked} object(s) from ${s.roots} root(s)`,
    s.deferred !== null
      ? `  reclaimed nothing: ${s.deferred}`
      : `  reclaimed ${s.reclaimedObjects} object(s), ${size(s.reclaimedBytes)}${s.revived > 0 ? `; ${s.revived} referenced again and kept` : ''}`,
    `  condemned ${s.condemnedObjects} object(s), ${size(s.condemnedBytes)}: the next run reclaims them unless they are referenced again`,
    `  compaction: ${c.segments} segment(s) rewritten (${size(c.bytesRewritten)} copied), ${size(c.bytesFreed)} freed`
      + (c.segmentsLeft > 0 ? `; ${c.segmentsLeft} left for the next run` : ''),
    `  stored ${size(s.storedBytesBefore)} -> ${size(s.storedBytesAfter)}; ${size(s.deadBytes)} dead in segments`,
    `  mark ${ms(s.phases.markMs)}, sweep ${ms(s.phases.sweepMs)}, compact ${ms(s.phases.compactMs)}`,
  ];
}

const ms = (n: number): string => `${(n / 1000).toFixed(1)} s`;

function formatRun(run: GcRun): string {
  const took = ms(Date.parse(run.ended) - Date.parse(run.started));
  const head = `garbage collection ${run.status} (task ${run.task}, ${took})${run.error !== null ? `: ${run.error}` : ''}`;
  return [head, ...(run.summary ? formatGcSummary(run.summary) : [])].join('\n');
}

export async function gcCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, wait: { type: 'boolean' } }, true);
  if (positionals.length > 0) throw new UsageError(USAGE);
  const client = localClientFor(values);
  const started = await client.call<GcStartResponse>('POST', '/api/v1/gc');
  const { task, alreadyRunning } = started;
  const what = alreadyRunning ? `garbage collection already running since ${task.started}` : 'garbage collection started';
  if (!values.wait) {
    process.stdout.write(values.json ? `${JSON.stringify(started, null, 2)}\n` : `${what}: task ${task.id} (havend gc --wait follows it)\n`);
    return EXIT.ok;
  }
  if (!values.json) process.stderr.write(`${what}: task ${task.id}\n`);
  const ended = await waitForTask(client, task.id, !values.json);
  const run = await runFromHistory(async () => (await client.call<GcStatus>('GET', '/api/v1/gc')).history, ended, 'GC');
  process.stdout.write(values.json ? `${JSON.stringify(run, null, 2)}\n` : `${formatRun(run)}\n`);
  return run.status === 'succeeded' ? EXIT.ok : EXIT.failure;
}
