// haven check SNAPSHOT|latest [--group G] [--read-data]: fetches and decodes every tree and
// list of the snapshot (so every digest on the way is verified), and with --read-data every
// data chunk too, decompressed and hashed. Problems are listed; the exit status says damaged.

import { parse, UsageError } from '../../../../core/src/cli/args.js';
import { HavenError } from '../../../../core/src/errors.js';
import { fromHex, toHex } from '../../../../core/src/objects/digest.js';
import { ObjectFetcher, MAX_OBJECTS_PER_REQUEST } from '../../remote/object-fetcher.js';
import { TreeSource } from '../../remote/tree-source.js';
import { walkTree } from '../../remote/tree-walk.js';
import { LIMIT_FLAGS, WalkBudget, limitsFrom } from '../../remote/walk-budget.js';
import { JSON_FLAG, connect, type CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes } from '../output.js';
import { resolveSnapshot } from '../snapshot-ref.js';

const PARALLEL_READS = 3;

async function pinpoint(fetcher: ObjectFetcher, batch: Uint8Array[]): Promise<string[]> {
  const found: string[] = [];
  for (const d of batch) {
    try {
      await fetcher.one(d);
    } catch (err) {
      if (!(err instanceof HavenError)) throw err;
      found.push(`chunk ${toHex(d)}: ${err.message}`);
    }
  }
  return found;
}

export async function checkCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(ctx.argv, { ...JSON_FLAG, group: { type: 'string' }, 'read-data': { type: 'boolean', default: false }, 'max-entries': LIMIT_FLAGS['max-entries'] }, true);
  const [ref] = positionals;
  if (!ref || positionals.length > 1) throw new UsageError('usage: haven check SNAPSHOT|latest [--group G] [--read-data] [--max-entries N]');
  const { api } = connect(ctx);
  try {
    const snap = await resolveSnapshot(api, ref, values.group);
    const fetcher = new ObjectFetcher(api, snap.id);
    const trees = new TreeSource(fetcher, new WalkBudget(limitsFrom(values)));
    const problems: string[] = [];
    const chunks = new Map<string, Uint8Array>();
    let entries = 0;
    let lists = 0;
    const stop = ctx.out.progress(() => `check: ${entries} entries, ${chunks.size} chunks`);
    let bytesRead = 0;
    try {
      await trees.loadAll(fromHex(snap.root));
      for await (const { path, entry } of walkTree(trees, fromHex(snap.root), '')) {
        entries++;
        let data = entry.data ?? [];
        if (entry.list) {
          lists++;
          try {
            data = await trees.listChunks(entry.list);
          } catch (err) {
            problems.push(`${path}: ${(err as Error).message}`);
          }
        }
        for (const d of data) chunks.set(Buffer.from(d).toString('latin1'), d);
      }
      if (values['read-data']) {
        const all = [...chunks.values()];
        const batches: Uint8Array[][] = [];
        for (let i = 0; i < all.length; i += MAX_OBJECTS_PER_REQUEST / 4) batches.push(all.slice(i, i + MAX_OBJECTS_PER_REQUEST / 4));
        let next = 0;
        const reader = async (): Promise<void> => {
          while (next < batches.length) {
            const batch = batches[next++] as Uint8Array[];
            try {
              await fetcher.batch(batch, (_i, raw) => {
                bytesRead += raw.length;
              });
            } catch (err) {
              if (!(err instanceof HavenError)) throw err;
              // A failed stream names no object: find the damaged ones one by one.
              problems.push(...(await pinpoint(fetcher, batch)));
            }
          }
        };
        await Promise.all(Array.from({ length: PARALLEL_READS }, reader));
      }
    } finally {
      stop();
    }
    const result = { snapshot: snap.id, entries, lists, chunks: chunks.size, readData: values['read-data'], bytesRead, problems };
    ctx.out.result(result, () => [
      ...problems.map((p) => `problem: ${p}`),
      `snapshot ${snap.id.slice(0, 12)}: ${entries} entries, ${chunks.size} chunks${values['read-data'] ? `, ${formatBytes(bytesRead)} read and verified` : ''}: ${problems.length === 0 ? 'ok' : `${problems.length} problem(s)`}`,
    ]);
    return problems.length === 0 ? EXIT.ok : EXIT.damaged;
  } finally {
    api.close();
  }
}
