// `havend verify [--group G] [--wait] [--json]`: verifies every snapshot (or one group's)
// through the running daemon's control socket: everything they reach is read again from the
// segments and re-hashed, whatever was verified before. Without --wait it prints the task; with
// --wait it follows the task and prints the run and the snapshots found damaged (--json:
// `{run, damagedSnapshots, quarantined, quarantinedCount}`). Exit 1 when any snapshot is
// damaged or the run did not succeed.

import type { TaskInfo } from '../../../core/src/api/jobs.js';
import type { VerifyRun, VerifyStartResponse, VerifyStatus } from '../../../core/src/api/verify.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { size } from '../../../core/src/text/size.js';
import { EXIT } from './exit-codes.js';
import { localClientFor, waitForTask } from './local-client.js';
import { runFromHistory } from './task-history.js';

const USAGE = 'havend verify [--group G] [--wait] [--json] [--data DIR] [--config FILE]';

function formatRun(run: VerifyRun): string {
  const s = run.summary;
  const head = `verification ${run.status} (task ${run.task})${run.error !== null ? `: ${run.error}` : ''}`;
  if (!s) return head;
  return [
    head,
    `  ${s.snapshots} snapshot(s), ${s.objects} object(s) read again (${size(s.bytes)}) in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  ${s.damagedObjects} object(s) found damaged now`,
    ...s.problems.map((p) => `  problem: ${p}`),
  ].join('\n');
}

function formatDamage(status: VerifyStatus): string {
  if (status.damagedSnapshots.length === 0) return 'no snapshot is damaged';
  return [
    `${status.damagedSnapshots.length} snapshot(s) damaged (${status.quarantinedCount} object(s) quarantined; the next backup of the same data heals them):`,
    ...status.damagedSnapshots.map((d) => `  ${d.id} ${d.group} ${d.time}: ${d.digests.length} damaged object(s), first ${d.digests[0] ?? '?'}`),
  ].join('\n');
}

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, wait: { type: 'boolean' }, group: { type: 'string' },
  }, true);
  if (positionals.length > 0) throw new UsageError(USAGE);
  const client = localClientFor(values);
  const { task } = await client.call<VerifyStartResponse>('POST', '/api/v1/verify', values.group === undefined ? {} : { group: values.group });
  if (!values.wait) {
    const status = await client.call<VerifyStatus>('GET', '/api/v1/verify');
    process.stdout.write(values.json
      ? `${JSON.stringify({ task, damagedSnapshots: status.damagedSnapshots }, null, 2)}\n`
      : `verification started: task ${task.id} (havend verify --wait follows it)\n${formatDamage(status)}\n`);
    return status.damagedSnapshots.length > 0 ? EXIT.failure : EXIT.ok;
  }
  if (!values.json) process.stderr.write(`verification started: task ${task.id}\n`);
  const ended: TaskInfo = await waitForTask(client, task.id, !values.json);
  const run = await runFromHistory(async () => (await client.call<VerifyStatus>('GET', '/api/v1/verify')).history, ended, 'verification');
  const status = await client.call<VerifyStatus>('GET', '/api/v1/verify');
  const { damagedSnapshots, quarantined, quarantinedCount } = status;
  process.stdout.write(values.json
    ? `${JSON.stringify({ run, damagedSnapshots, quarantined, quarantinedCount }, null, 2)}\n`
    : `${formatRun(run)}\n${formatDamage(status)}\n`);
  return run.status === 'succeeded' && damagedSnapshots.length === 0 ? EXIT.ok : EXIT.failure;
}
