// A directory of a snapshot as a tar stream (haven dump of a directory), written as the walk
// goes, in the pax format the appliance's "download folder" writes (core/src/archive): content,
// type, permission bits, owner ids, modification time in whole seconds, symlink targets, hard
// links (to the first path of the inode), device numbers and extended attributes. Files come
// chunk by chunk, each verified before it is written.
//
// Left out, each counted in a warning (`haven restore` keeps them): sockets (tar has no type for
// them) and entries whose name or link target is not UTF-8, with everything below them (the
// walk's names are lossy renderings of such bytes, and would be written under another name).
// Times before 1970 are written as 1970 (ustar's time field is unsigned).

import { END_OF_ARCHIVE, contentPadding, tarHeader } from '../../../core/src/archive/tar-header.js';
import { tarEntryOf } from '../../../core/src/archive/tree-entry-tar.js';
import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import type { TreeEntry } from '../../../core/src/objects/tree.js';
import { WINDOW_BYTES, orderedChunks } from '../remote/ordered-chunks.js';
import type { TreeSource } from '../remote/tree-source.js';
import { walkTree } from '../remote/tree-walk.js';

export interface TarDumpOutcome {
  entries: number;
  bytes: number;
  warnings: string[];
}

/** An entry as it goes into the archive; a file's chunk digests once resolved. */
interface Planned {
  path: string;
  entry: TreeEntry;
  /** A later path of a hard-linked inode: written as a link to the first. */
  linkTo: string | null;
  digests: readonly Uint8Array[] | null;
}

/**
 * Entries written together, the chunks of their files fetched in one request: one request per
 * small file made a dump of the benchmark's 63k files take 130 s against a restore's 10.
 */
class Group {
  readonly items: Planned[] = [];
  readonly digests: Uint8Array[] = [];
  bytes = 0;
  fetched: Promise<Buffer[]> | null = null;
}

/**
 * A group is asked for once it holds this many chunks or this much content (as files' sizes
 * say), or this many entries (a tree of empty files, links and directories still streams).
 */
const GROUP_CHUNKS = 1024;
const GROUP_BYTES = WINDOW_BYTES;
const GROUP_ENTRIES = 4096;
/** Files this large stream in windows of their own (ordered-chunks.ts) rather than join a group. */
const LARGE_FILE_BYTES = WINDOW_BYTES / 2;

/**
 * The archive's bytes from `dir` down; `self` is the directory's own entry (none for the
 * snapshot's root). The next group's chunks are asked for while the current one is written:
 * about two groups (or one large file's two windows) are held at once. `outcome` is complete
 * once the archive has ended; a failure ends the stream without the closing blocks, so tar
 * reports the archive truncated.
 */
export async function* tarOfDirectory(trees: TreeSource, dir: Uint8Array, prefix: string, self: TreeEntry | null, outcome: TarDumpOutcome): AsyncGenerator<Buffer> {
  const skipped = { names: 0, sockets: 0, times: 0 };
  const firstPathOf = new Map<number, string>();
  // Trees come level by level, thousands per request, while the walk writes what it has.
  const loaded = trees.loadAllBehind(dir);
  loaded.catch(() => undefined); // its failure ends the walk below, which reports it
  let current = new Group();
  let previous: Group | null = null;
  /** Asks for the current group's chunks and starts the next group; the group asked for, if any. */
  const askForCurrent = (): Group | null => {
    if (current.items.length === 0) return null;
    const group = current;
    const slots: Buffer[] = [];
    group.fetched = trees.fetcher.many(group.digests, (i, raw) => {
      slots[i] = raw;
    }).then(() => slots);
    group.fetched.catch(() => undefined); // awaited when written; a failure then ends the dump
    current = new Group();
    return group;
  };
  const written = async function* (group: Group): AsyncGenerator<Buffer> {
    const raw = await (group.fetched as Promise<Buffer[]>);
    let at = 0;
    for (const item of group.items) {
      const n = item.digests?.length ?? 0;
      yield* entryBytes(item, raw.slice(at, at + n), outcome);
      at += n;
    }
  };
  let leftOut: string | null = null;
  const entries = async function* (): AsyncGenerator<{ path: string; entry: TreeEntry }> {
    if (self) yield { path: prefix, entry: self };
    yield* walkTree(trees, dir, prefix);
  };
  for await (const { path, entry } of entries()) {
    if (leftOut !== null && path.startsWith(leftOut)) continue;
    leftOut = null;
    if (entry.rawName !== undefined || entry.rawTarget !== undefined) {
      skipped.names++;
      if (entry.type === 'dir') leftOut = `${path}/`;
      continue;
    }
    if (entry.type === 'socket') {
      skipped.sockets++;
      continue;
    }
    if (entry.mtimeNs < 0n) skipped.times++;
    outcome.entries++;
    let linkTo: string | null = null;
    if (entry.type !== 'dir' && entry.hardlink !== undefined) {
      linkTo = firstPathOf.get(entry.hardlink) ?? null;
      if (linkTo === null) firstPathOf.set(entry.hardlink, path);
    }
    const digests = entry.type === 'file' && linkTo === null ? (entry.list ? await trees.listChunks(entry.list) : (entry.data ?? [])) : null;
    const item: Planned = { path, entry, linkTo, digests };
    if (digests !== null && entry.size >= LARGE_FILE_BYTES) {
      const asked = askForCurrent();
      if (previous) yield* written(previous);
      previous = null;
      if (asked) yield* written(asked);
      yield* entryBytes(item, orderedChunks(trees.fetcher, digests, entry.size), outcome);
      continue;
    }
    current.items.push(item);
    if (digests !== null) {
      current.digests.push(...digests);
      current.bytes += entry.size;
    }
    if (current.digests.length >= GROUP_CHUNKS || current.bytes >= GROUP_BYTES || current.items.length >= GROUP_ENTRIES) {
      const asked = askForCurrent();
      if (previous) yield* written(previous);
      previous = asked;
    }
  }
  const last = askForCurrent();
  if (previous) yield* written(previous);
  if (last) yield* written(last);
  await loaded;
  yield END_OF_ARCHIVE;
  if (skipped.names > 0) outcome.warnings.push(`${skipped.names} entries left out (with what is below them): a name or link target that is not UTF-8; haven restore brings them back`);
  if (skipped.sockets > 0) outcome.warnings.push(`${skipped.sockets} sockets left out: tar has no type for them`);
  if (skipped.times > 0) outcome.warnings.push(`${skipped.times} entries dated before 1970 written as 1970-01-01 (tar's time field is unsigned)`);
}

/** One entry's header, then a file's content, chunk by chunk, and its padding. */
async function* entryBytes(item: Planned, chunks: Iterable<Buffer> | AsyncIterable<Buffer>, outcome: TarDumpOutcome): AsyncGenerator<Buffer> {
  const { entry: e, path } = item;
  if (item.linkTo !== null) {
    yield tarHeader({ ...tarEntryOf(e, path, 'hardlink'), linkTarget: item.linkTo, size: 0 });
    return;
  }
  if (e.type === 'dir') {
    yield tarHeader(tarEntryOf(e, `${path}/`, 'dir'));
    return;
  }
  if (e.type === 'socket') return; // left out by the walk, counted there
  yield tarHeader(tarEntryOf(e, path, e.type));
  if (e.type !== 'file') return;
  let written = 0;
  for await (const raw of chunks) {
    // The header promised e.size bytes: chunks that hold more or fewer would shift every later header.
    if (written + raw.length > e.size) throw sizeMismatch(item);
    written += raw.length;
    yield raw;
  }
  if (written !== e.size) throw sizeMismatch(item);
  outcome.bytes += written;
  yield contentPadding(e.size);
}

function sizeMismatch({ entry: e, digests, path }: Planned): HavenError {
  return new HavenError('OBJECT_UNDECODABLE', {
    digest: toHex(e.list ?? digests?.[0] ?? new Uint8Array(32)), kind: e.list ? 'list' : 'chunk',
    detail: `${path}: the snapshot says ${e.size} bytes, its chunks hold another length`,
  });
}
