// `havend store repair --from-peer NAME [--json]`: in the running daemon, through its control
// socket: every snapshot's objects are read again (a full verification: what is damaged is
// quarantined, what is missing noted), then everything quarantined or missing is asked from
// the peer by digest, verified on arrival and written anew. Exit 1 when something stays damaged.

import type { RepairReport } from '../../../core/src/api/repair.js';
import { UsageError, parse, required } from '../../../core/src/cli/args.js';
import { EXIT } from './exit-codes.js';
import { localClientFor } from './local-client.js';

const USAGE = 'havend store repair --from-peer NAME [--json] [--data DIR] [--config FILE]';

function formatReport(r: RepairReport): string {
  const lines = [`repair from ${r.peer} ${r.status} (task ${r.task})${r.error !== null ? `: ${r.error}` : ''}`];
  if (r.checked) lines.push(`  checked ${r.checked.snapshots} snapshot(s), ${r.checked.objects} object(s) read again; ${r.checked.damagedObjects} found damaged now`);
  lines.push(`  repaired ${r.repaired.length} object(s) from ${r.peer}`);
  for (const d of r.repaired) lines.push(`    ${d}`);
  if (r.unavailable.length > 0) lines.push(`  not available on ${r.peer}: ${r.unavailable.length} object(s)`);
  for (const u of r.unavailable) lines.push(`    ${u.digest}: ${u.reason}`);
  lines.push(r.stillDamaged.length === 0 ? '  nothing is damaged now' : `  still damaged: ${r.stillDamaged.length} object(s), ${r.damagedSnapshots.length} snapshot(s)`);
  for (const s of r.damagedSnapshots) lines.push(`    snapshot ${s.id} ${s.group} ${s.time}`);
  return lines.join('\n');
}

export async function storeRepairCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, 'from-peer': { type: 'string' },
  }, true);
  if (positionals.length > 0) throw new UsageError(USAGE);
  const peer = required(values['from-peer'], '--from-peer');
  if (!values.json) process.stderr.write(`repairing from ${peer}: every snapshot's objects are read again first\n`);
  const r = await localClientFor(values).call<RepairReport>('POST', '/api/v1/store/repair', { peer });
  process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatReport(r)}\n`);
  return r.status === 'succeeded' && r.stillDamaged.length === 0 ? EXIT.ok : EXIT.failure;
}
