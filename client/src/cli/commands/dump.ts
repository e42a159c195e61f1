// haven dump SNAPSHOT|latest PATH [--group G]: one file of a snapshot, written to stdout as it
// arrives (`haven dump latest --group db dump.sql | psql` for what `backup --stdin` took).
// Every chunk is verified against its digest before a byte of it is written; a chunk that does
// not verify ends the dump with the error on stderr and a non-zero exit status, so a pipeline
// can tell a complete file from a cut one. There is no --json: stdout is the file.

import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parse, UsageError } from '../../../../core/src/cli/args.js';
import { HavenError } from '../../../../core/src/errors.js';
import { fromHex } from '../../../../core/src/objects/digest.js';
import { ObjectFetcher } from '../../remote/object-fetcher.js';
import { orderedChunks } from '../../remote/ordered-chunks.js';
import { TreeSource } from '../../remote/tree-source.js';
import { snapshotComponents } from '../../remote/tree-walk.js';
import { connect, type CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { resolveSnapshot } from '../snapshot-ref.js';

const USAGE = 'usage: haven dump SNAPSHOT|latest PATH [--group G] (writes the file to stdout)';

export async function dumpCommand(ctx: CommandContext, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parse(ctx.argv, { group: { type: 'string' } }, true);
  const [ref, path] = positionals;
  if (!ref || !path || positionals.length > 2) throw new UsageError(USAGE);
  const components = snapshotComponents(path);
  if (components.length === 0) throw new UsageError(`${USAGE}: PATH names a file, not the snapshot's root`);
  const { api } = connect(ctx);
  try {
    const snap = await resolveSnapshot(api, ref, values.group);
    const trees = new TreeSource(new ObjectFetcher(api, snap.id));
    const { entry } = await trees.lookup(fromHex(snap.root), components);
    if (!entry) throw new HavenError('PATH_NOT_FOUND', { path, id: snap.id.slice(0, 12) });
    if (entry.type !== 'file') throw new HavenError('NOT_A_FILE', { path });
    const digests = entry.list ? await trees.listChunks(entry.list) : (entry.data ?? []);
    let written = 0;
    const counted = async function* (): AsyncGenerator<Buffer> {
      for await (const raw of orderedChunks(trees.fetcher, digests, entry.size)) {
        written += raw.length;
        yield raw;
      }
    };
    try {
      // stdout stays open: the process owns it, and a shell may write after us.
      await pipeline(Readable.from(counted(), { objectMode: false }), stdout, { end: false });
    } catch (err) {
      // The reader went away (`| head`): what it wanted was written, like cat ended by SIGPIPE.
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return EXIT.failure;
      throw err;
    }
    if (written !== entry.size) {
      ctx.out.warn(`${path}: the snapshot says ${entry.size} bytes, its chunks hold ${written}`);
      return EXIT.damaged;
    }
    return EXIT.ok;
  } finally {
    api.close();
  }
}
