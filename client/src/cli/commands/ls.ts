// haven ls SNAPSHOT [PATH] [--group G]: the entries under PATH, recursively.

import { parse, UsageError } from '../../../../core/src/cli/args.js';
import { HavenError } from '../../../../core/src/errors.js';
import { fromHex } from '../../../../core/src/objects/digest.js';
import type { TreeEntry } from '../../../../core/src/objects/tree.js';
import { ObjectFetcher } from '../../remote/object-fetcher.js';
import { TreeSource } from '../../remote/tree-source.js';
import { snapshotComponents, walkTree, type WalkedEntry } from '../../remote/tree-walk.js';
import { LIMIT_FLAGS, WalkBudget, limitsFrom } from '../../remote/walk-budget.js';
import { JSON_FLAG, connect, type CommandContext } from '../context.js';
import { resolveSnapshot } from '../snapshot-ref.js';

export function entryJson(w: WalkedEntry): Record<string, unknown> {
  const e: TreeEntry = w.entry;
  return {
    path: w.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, mtimeNs: e.mtimeNs.toString(),
    ...(e.target !== undefined ? { target: e.target } : {}), ...(e.hardlink !== undefined ? { hardlink: e.hardlink } : {}),
    ...(e.rdev !== undefined ? { rdev: e.rdev } : {}), ...(e.xattrs ? { xattrs: e.xattrs.map(([k]) => k) } : {}),
  };
}

const TYPE_CHAR: Record<string, string> = { file: '-', dir: 'd', symlink: 'l', fifo: 'p', chardev: 'c', blockdev: 'b', socket: 's' };

export function entryLine(w: WalkedEntry): string {
  const e = w.entry;
  const time = new Date(Number(e.mtimeNs / 1_000_000n)).toISOString().replace('T', ' ').slice(0, 19);
  const mode = `${TYPE_CHAR[e.type] ?? '?'}${e.mode.toString(8).padStart(4, '0')}`;
  return `${mode} ${String(e.uid).padStart(5)}/${String(e.gid).padEnd(5)} ${String(e.size).padStart(12)} ${time} ${w.path}${e.target !== undefined ? ` -> ${e.target}` : ''}`;
}

export async function lsCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(ctx.argv, { ...JSON_FLAG, group: { type: 'string' }, 'max-entries': LIMIT_FLAGS['max-entries'] }, true);
  const [ref, path] = positionals;
  if (!ref || positionals.length > 2) throw new UsageError('usage: haven ls SNAPSHOT|latest [PATH] [--group G] [--max-entries N]');
  const { api } = connect(ctx);
  try {
    const snap = await resolveSnapshot(api, ref, values.group);
    const trees = new TreeSource(new ObjectFetcher(api, snap.id), new WalkBudget(limitsFrom(values)));
    const components = snapshotComponents(path);
    const { entry, tree } = await trees.lookup(fromHex(snap.root), components);
    if (components.length > 0 && !entry) throw new HavenError('PATH_NOT_FOUND', { path: path ?? '', id: snap.id.slice(0, 12) });
    const prefix = components.join('/');
    const listed: WalkedEntry[] = entry && !tree ? [{ path: prefix, entry }] : [];
    if (tree) {
      await trees.loadAll(tree);
      for await (const w of walkTree(trees, tree, prefix)) listed.push(w);
    }
    ctx.out.result({ snapshot: snap.id, entries: listed.map(entryJson) }, () => listed.map(entryLine));
  } finally {
    api.close();
  }
  return 0;
}
