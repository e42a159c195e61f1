// haven snapshots [--group G] [--last N]: with --last, each group's newest N (a group backed up
// continuously holds tens of thousands)

import { parse, UsageError } from '../../../../core/src/cli/args.js';
import type { SnapshotSummary } from '../../../../core/src/api/snapshots.js';
import { JSON_FLAG, connect, type CommandContext } from '../context.js';
import { formatBytes } from '../output.js';

export async function snapshotsCommand(ctx: CommandContext): Promise<number> {
  const { values } = parse(ctx.argv, { ...JSON_FLAG, group: { type: 'string' }, last: { type: 'string' } });
  const last = values.last === undefined ? undefined : Number(values.last);
  if (last !== undefined && !(Number.isInteger(last) && last >= 1)) throw new UsageError(`--last takes a count of at least 1, not ${values.last}`);
  const { api } = connect(ctx);
  try {
    const groups = values.group ? [values.group] : (await api.groups()).groups.map((g) => g.name);
    const all: SnapshotSummary[] = [];
    for (const g of groups) all.push(...(await api.snapshots(g, last)).snapshots);
    ctx.out.result({ snapshots: all }, () => [
      'id            time                      group             files     size       tags',
      ...all.map((s) => [
        s.id.slice(0, 12).padEnd(13), s.time.padEnd(25), s.group.padEnd(17), String(s.stats.files ?? 0).padStart(8),
        formatBytes(s.stats.bytes ?? 0).padStart(11), ` ${s.tags.join(',')}`,
      ].join(' ')),
    ]);
  } finally {
    api.close();
  }
  return 0;
}
