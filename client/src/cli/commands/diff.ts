// haven diff SNAP1 SNAP2 [--group G]: what changed between two snapshots. Identical subtree
// digests are skipped whole, so an unchanged directory costs nothing.

import { parse, UsageError } from '../../../../core/src/cli/args.js';
import { fromHex } from '../../../../core/src/objects/digest.js';
import type { TreeEntry } from '../../../../core/src/objects/tree.js';
import { ObjectFetcher } from '../../remote/object-fetcher.js';
import { TreeSource } from '../../remote/tree-source.js';
import { LIMIT_FLAGS, WalkBudget, limitsFrom } from '../../remote/walk-budget.js';
import { JSON_FLAG, connect, type CommandContext } from '../context.js';
import { resolveSnapshot } from '../snapshot-ref.js';

export interface Change {
  /** + added, - removed, M modified (content or metadata), T type changed */
  change: '+' | '-' | 'M' | 'T';
  path: string;
  type: string;
}

function same(a: Uint8Array[] | undefined, b: Uint8Array[] | undefined): boolean {
  if ((a?.length ?? 0) !== (b?.length ?? 0)) return false;
  return (a ?? []).every((d, i) => Buffer.from(d).equals(Buffer.from((b as Uint8Array[])[i] as Uint8Array)));
}

function entryChanged(a: TreeEntry, b: TreeEntry): boolean {
  const x = (e: TreeEntry): string => JSON.stringify([e.mode, e.uid, e.gid, e.size, String(e.mtimeNs), e.target, e.rdev, (e.xattrs ?? []).map(([k, v]) => [k, Buffer.from(v).toString('hex')])]);
  return x(a) !== x(b) || !same(a.data, b.data) || !same(a.list ? [a.list] : undefined, b.list ? [b.list] : undefined);
}

async function compare(trees: TreeSource, a: Uint8Array, b: Uint8Array, prefix: string, out: Change[], depth = 0): Promise<void> {
  if (Buffer.from(a).equals(Buffer.from(b))) return;
  trees.budget.checkDepth(depth, b);
  const [ea, eb] = await Promise.all([trees.entries(a), trees.entries(b)]);
  trees.budget.spendEntries(ea.length + eb.length);
  const byName = new Map(eb.map((e) => [e.name, e]));
  const seen = new Set<string>();
  for (const x of ea) {
    const path = prefix === '' ? x.name : `${prefix}/${x.name}`;
    const y = byName.get(x.name);
    seen.add(x.name);
    if (!y) out.push({ change: '-', path, type: x.type });
    else if (x.type !== y.type) out.push({ change: 'T', path, type: y.type });
    else {
      if (x.type !== 'dir' ? entryChanged(x, y) : entryChanged({ ...x, subtree: undefined }, { ...y, subtree: undefined })) out.push({ change: 'M', path, type: y.type });
      if (x.subtree && y.subtree) await compare(trees, x.subtree, y.subtree, path, out, depth + 1);
    }
  }
  for (const y of eb) if (!seen.has(y.name)) out.push({ change: '+', path: prefix === '' ? y.name : `${prefix}/${y.name}`, type: y.type });
}

export async function diffCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(ctx.argv, { ...JSON_FLAG, group: { type: 'string' }, 'max-entries': LIMIT_FLAGS['max-entries'] }, true);
  if (positionals.length !== 2) throw new UsageError('usage: haven diff SNAP1 SNAP2 [--group G] [--max-entries N]');
  const { api } = connect(ctx);
  try {
    const a = await resolveSnapshot(api, positionals[0] as string, values.group);
    const b = await resolveSnapshot(api, positionals[1] as string, values.group);
    // Objects are read through the second snapshot; both must be readable by this token.
    const trees = new TreeSource(new ObjectFetcher(api, b.id), new WalkBudget(limitsFrom(values)));
    const changes: Change[] = [];
    await compare(trees, fromHex(a.root), fromHex(b.root), '', changes);
    ctx.out.result({ from: a.id, to: b.id, changes }, () => changes.map((c) => `${c.change} ${c.path}${c.type === 'dir' ? '/' : ''}`));
  } finally {
    api.close();
  }
  return 0;
}
