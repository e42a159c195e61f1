// haven find PATTERN... [--group G] [--last N] [--max-entries N]: which snapshots hold entries
// whose name (a pattern without /) or stored path (with /) matches, newest snapshot first:
// "where is last week's version of that file" without restoring or listing whole snapshots.
// Patterns are the shell globs --exclude takes.

import { parse, UsageError } from '../../../../core/src/cli/args.js';
import type { SnapshotSummary } from '../../../../core/src/api/snapshots.js';
import { fromHex } from '../../../../core/src/objects/digest.js';
import { pathMatcher } from '../../../../core/src/text/path-glob.js';
import { TreeSearch, type Found } from '../../../../core/src/objects/tree-search.js';
import { findSource } from '../../remote/find-source.js';
import { ObjectFetcher } from '../../remote/object-fetcher.js';
import { TreeSource } from '../../remote/tree-source.js';
import { LIMIT_FLAGS, WalkBudget, limitsFrom, parseCount } from '../../remote/walk-budget.js';
import { JSON_FLAG, connect, type CommandContext } from '../context.js';
import { entryJson, entryLine } from './ls.js';

const USAGE = 'usage: haven find PATTERN... [--group G] [--last N] [--max-entries N]';

export async function findCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(ctx.argv, { ...JSON_FLAG, group: { type: 'string' }, last: { type: 'string' }, 'max-entries': LIMIT_FLAGS['max-entries'] }, true);
  if (positionals.length === 0) throw new UsageError(USAGE);
  const last = values.last === undefined ? undefined : parseCount(values.last, '--last');
  const search = new TreeSearch(pathMatcher(positionals));
  const budget = new WalkBudget(limitsFrom(values));
  const { api } = connect(ctx);
  const found: Array<{ snapshot: SnapshotSummary; matches: readonly Found[] }> = [];
  let searched = 0;
  try {
    const groups = values.group ? [values.group] : (await api.groups()).groups.map((g) => g.name);
    for (const group of groups) {
      // newest first: the version a user looks for is most often recent
      const snapshots = (await api.snapshots(group, last)).snapshots.reverse();
      for (const snapshot of snapshots) {
        searched++;
        const trees = new TreeSource(new ObjectFetcher(api, snapshot.id), budget);
        const matches = await search.under(findSource(trees), fromHex(snapshot.root), '');
        if (matches.length > 0) found.push({ snapshot, matches });
      }
    }
  } finally {
    api.close();
  }
  ctx.out.result(
    {
      searched,
      snapshots: found.map(({ snapshot: s, matches }) => ({ id: s.id, group: s.group, time: s.time, host: s.host, entries: matches.map(entryJson) })),
    },
    () => [
      ...found.flatMap(({ snapshot: s, matches }) => [
        `snapshot ${s.id.slice(0, 12)} of ${s.group} (${s.host || '-'}), ${s.time}: ${matches.length} ${matches.length === 1 ? 'match' : 'matches'}`,
        ...matches.map((m) => `  ${entryLine(m)}`),
      ]),
      `${found.length} of ${searched} snapshot(s) hold a match`,
    ],
  );
  return 0;
}
