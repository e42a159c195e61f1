// haven dump SNAPSHOT|latest PATH [--group G]: a file of a snapshot written to stdout as it
// arrives (`haven dump latest --group db dump.sql | psql` for what `backup --stdin` took), or a
// directory (`/` for the whole snapshot) as a tar stream (`| tar -x -C DIR`, or to another
// host over ssh). Every chunk is verified against its digest before a byte of it is written;
// one that does not verify ends the dump with the error on stderr and a non-zero exit status,
// so a pipeline can tell a complete file or archive from a cut one. No --json: stdout is the data.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, UsageError } from '../../../../core/src/cli/args.js';
import { HavenError } from '../../../../core/src/errors.js';
import { fromHex } from '../../../../core/src/objects/digest.js';
import type { TreeEntry } from '../../../../core/src/objects/tree.js';
import { tarOfDirectory, type TarDumpOutcome } from '../../dump/tar-dump.js';
import { ObjectFetcher } from '../../remote/object-fetcher.js';
import { orderedChunks } from '../../remote/ordered-chunks.js';
import { TreeSource } from '../../remote/tree-source.js';
import { snapshotComponents } from '../../remote/tree-walk.js';
import { LIMIT_FLAGS, WalkBudget, limitsFrom } from '../../remote/walk-budget.js';
import { connect, type CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { resolveSnapshot } from '../snapshot-ref.js';

const USAGE = 'usage: haven dump SNAPSHOT|latest PATH [--group G] [--max-entries N] (a file as it is, a directory or / as tar, on stdout)';

export async function dumpCommand(ctx: CommandContext, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parse(ctx.argv, { group: { type: 'string' }, 'max-entries': LIMIT_FLAGS['max-entries'] }, true);
  const [ref, path] = positionals;
  if (!ref || path === undefined || positionals.length > 2) throw new UsageError(USAGE);
  const components = snapshotComponents(path);
  const { api } = connect(ctx);
  try {
    const snap = await resolveSnapshot(api, ref, values.group);
    const trees = new TreeSource(new ObjectFetcher(api, snap.id), new WalkBudget(limitsFrom(values)));
    const { entry, tree } = await trees.lookup(fromHex(snap.root), components);
    if (components.length > 0 && !entry) throw new HavenError('PATH_NOT_FOUND', { path, id: snap.id.slice(0, 12) });
    if (tree) return await dumpDirectory(ctx, trees, tree, components.join('/'), entry, stdout);
    if (entry?.type !== 'file') throw new HavenError('NOT_A_FILE', { path });
    return await dumpFile(ctx, trees, entry, path, stdout);
  } finally {
    api.close();
  }
}

async function dumpFile(ctx: CommandContext, trees: TreeSource, entry: TreeEntry, path: string, stdout: NodeJS.WritableStream): Promise<number> {
  const digests = entry.list ? await trees.listChunks(entry.list) : (entry.data ?? []);
  let written = 0;
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const raw of orderedChunks(trees.fetcher, digests, entry.size)) {
      written += raw.length;
      yield raw;
    }
  };
  if (await sent(Readable.from(counted(), { objectMode: false }), stdout) === 'reader-gone') return EXIT.failure;
  if (written !== entry.size) {
    ctx.out.warn(`${path}: the snapshot says ${entry.size} bytes, its chunks hold ${written}`);
    return EXIT.damaged;
  }
  return EXIT.ok;
}

async function dumpDirectory(
  ctx: CommandContext, trees: TreeSource, tree: Uint8Array, prefix: string, self: TreeEntry | null, stdout: NodeJS.WritableStream,
): Promise<number> {
  const outcome: TarDumpOutcome = { entries: 0, bytes: 0, warnings: [] };
  // A failure ends the stream without tar's closing blocks: what went out is a cut archive.
  if (await sent(Readable.from(tarOfDirectory(trees, tree, prefix, self, outcome), { objectMode: false }), stdout) === 'reader-gone') return EXIT.failure;
  for (const w of outcome.warnings) ctx.out.warn(w);
  return outcome.warnings.length > 0 ? EXIT.warnings : EXIT.ok;
}

/** Copies `source` to stdout, which stays open (the process owns it); a reader that went away (`| head`) ends it quietly, as it ends cat. */
async function sent(source: Readable, stdout: NodeJS.WritableStream): Promise<'done' | 'reader-gone'> {
  try {
    await pipeline(source, stdout, { end: false });
    return 'done';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 'reader-gone';
    throw err;
  }
}
