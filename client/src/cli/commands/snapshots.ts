// haven snapshots [--group G] [--last N]: with --last, each group's newest N (a group backed up
// continuously holds tens of thousands). haven snapshots ID: one snapshot, with the warnings
// its backup reported (which files were skipped or changed while read), as the appliance kept them.

import { parse, UsageError } from '../../../../core/src/cli/args.js';
import type { SnapshotDetail, SnapshotSummary } from '../../../../core/src/api/snapshots.js';
import { JSON_FLAG, connect, type CommandContext } from '../context.js';
import { formatBytes } from '../output.js';

export async function snapshotsCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(ctx.argv, { ...JSON_FLAG, group: { type: 'string' }, last: { type: 'string' } }, true);
  if (positionals.length > 1) throw new UsageError('haven snapshots takes one snapshot id at most');
  if (positionals[0] !== undefined) {
    if (values.group !== undefined || values.last !== undefined) throw new UsageError('--group and --last list snapshots; they do not go with an id');
    return showSnapshot(ctx, positionals[0]);
  }
  const last = values.last === undefined ? undefined : Number(values.last);
  if (last !== undefined && !(Number.isInteger(last) && last >= 1)) throw new UsageError(`--last takes a count of at least 1, not ${values.last}`);
  const { api } = connect(ctx);
  try {
    const groups = values.group ? [values.group] : (await api.groups()).groups.map((g) => g.name);
    const all: SnapshotSummary[] = [];
    for (const g of groups) all.push(...(await api.snapshots(g, last)).snapshots);
    ctx.out.result({ snapshots: all }, () => [
      'id            time                      group             files     size        warnings  tags',
      ...all.map((s) => [
        s.id.slice(0, 12).padEnd(13), s.time.padEnd(25), s.group.padEnd(17), String(s.stats.files ?? 0).padStart(8),
        formatBytes(s.stats.bytes ?? 0).padStart(11), String(s.stats.warnings ?? 0).padStart(9), ` ${s.tags.join(',')}`,
      ].join(' ')),
    ]);
  } finally {
    api.close();
  }
  return 0;
}

async function showSnapshot(ctx: CommandContext, ref: string): Promise<number> {
  const { api } = connect(ctx);
  let s: SnapshotDetail;
  try {
    s = await api.snapshot(ref);
  } finally {
    api.close();
  }
  const warnings = s.warnings ?? [];
  const counted = s.stats.warnings ?? warnings.length;
  ctx.out.result({ snapshot: s }, () => [
    `snapshot ${s.id}`,
    `  group ${s.group}, host ${s.host || '-'}, ${s.time}${s.protected ? ', protected' : ''}`,
    `  paths ${s.paths.join(', ') || '-'}${s.tags.length > 0 ? `; tags ${s.tags.join(',')}` : ''}`,
    `  ${s.stats.files ?? 0} files, ${s.stats.dirs ?? 0} dirs, ${formatBytes(s.stats.bytes ?? 0)}`,
    ...(counted === 0 ? ['  no warnings'] : [
      `  ${counted} ${counted === 1 ? 'warning' : 'warnings'}${counted > warnings.length ? ` (the first ${warnings.length} kept)` : ''}:`,
      ...warnings.map((w) => `    ${w}`),
    ]),
  ]);
  return 0;
}
