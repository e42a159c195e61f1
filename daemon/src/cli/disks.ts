// `havend disks [--json] [--data DIR]`: the running daemon's disk inventory, through the
// root-only control socket (live state belongs to the daemon, not to the LMDB files).

import type { DiskList, DiskRecord } from '../../../core/src/api/disks.js';
import { parse } from '../../../core/src/cli/args.js';
import { localClientFor } from './local-client.js';
import { size } from '../../../core/src/text/size.js';

export function formatDisk(d: DiskRecord): string {
  const where = d.present ? (d.devicePath ?? '?') : 'missing';
  const what = [d.model ?? (d.backingFile ? `loop ${d.backingFile}` : 'unknown model'), d.serial ? `serial ${d.serial}` : null].filter(Boolean).join(', ');
  const role = d.role === 'unassigned' ? '' : ` [${d.role}${d.roleDetail ? `: ${d.roleDetail}` : ''}]`;
  const head = `${d.id}  ${where.padEnd(14)} ${size(d.sizeBytes).padStart(8)}  ${d.health.verdict.toUpperCase().padEnd(8)} ${what}${role}${d.archived ? ' (archived)' : ''}`;
  const ack = d.health.acknowledged ? [`    acknowledged by ${d.health.acknowledged.by}: ${d.health.acknowledged.note}`] : [];
  const reasons = d.health.verdict === 'passed' ? [] : d.health.reasons.map((r) => `    - ${r.message}`);
  return [head, ...reasons, ...ack].join('\n');
}

export async function disksCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' } });
  const list = await localClientFor(values).call<DiskList>('GET', '/api/v1/disks');
  if (values.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
  else if (list.disks.length === 0) process.stdout.write('no disks found\n');
  else process.stdout.write(list.disks.map(formatDisk).join('\n') + '\n');
  return 0;
}
