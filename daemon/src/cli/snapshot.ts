// `havend snapshot protect|unprotect|delete ID`: the running daemon's catalogue, through the
// root-only control socket (like `havend pool`). ID is a snapshot id or a unique prefix of at
// least 6 hex digits. A protected snapshot is never deleted or pruned until unprotected;
// `delete` on one fails with SNAPSHOT_PROTECTED (exit status 1) and says how to unprotect it.

import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { UsageError, parse } from '../../../core/src/cli/args.js';
import { EXIT } from './exit-codes.js';
import { localClientFor } from './local-client.js';

const OPTIONS = { data: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } as const;
const USAGE = 'havend snapshot protect|unprotect|delete ID [--data DIR] [--config FILE] [--json]';

function describe(s: SnapshotSummary): string {
  return `snapshot ${s.id} (${s.group}, ${s.time}) is ${s.protected ? 'protected' : 'not protected'}`;
}

export async function snapshotCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'protect' && sub !== 'unprotect' && sub !== 'delete') throw new UsageError(`${USAGE} (got ${sub ?? 'nothing'})`);
  const { values, positionals } = parse(rest, OPTIONS, true);
  const [ref, ...extra] = positionals;
  if (ref === undefined || extra.length > 0) throw new UsageError(USAGE);
  const client = localClientFor(values);
  const path = `/api/v1/snapshots/${encodeURIComponent(ref)}`;
  if (sub === 'delete') {
    await client.call<undefined>('DELETE', path);
    process.stdout.write(values.json ? `${JSON.stringify({ deleted: ref })}\n` : `snapshot ${ref} deleted\n`);
    return EXIT.ok;
  }
  const s = await client.call<SnapshotSummary>('POST', `${path}/${sub}`);
  process.stdout.write(values.json ? `${JSON.stringify(s, null, 2)}\n` : `${describe(s)}\n`);
  return EXIT.ok;
}
