// A directory of a snapshot as a tar stream (haven dump of a directory), written as the walk
// goes: POSIX ustar, with pax records where ustar cannot say it (long names and link targets,
// owners above 262,143). Files come chunk by chunk, each verified before it is written.
//
// What tar carries: content, type, permission bits, owner ids, modification time in whole
// seconds, symlink targets, hard links (as links to the first path of the inode) and device
// numbers. What it does not, each counted in a warning (the exact copy is `haven restore`):
// extended attributes, sockets, and entries whose name or link target is not UTF-8 (tar's pax
// names are UTF-8; such an entry is left out with everything below it).

import { once } from 'node:events';
import type { Writable } from 'node:stream';
import tar from 'tar-stream';
import type { Headers, Pack } from 'tar-stream';
import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import type { TreeEntry } from '../../../core/src/objects/tree.js';
import { WINDOW_BYTES, orderedChunks } from '../remote/ordered-chunks.js';
import type { TreeSource } from '../remote/tree-source.js';
import { walkTree } from '../remote/tree-walk.js';

/** The largest owner id ustar's six octal digits hold; larger ones go to pax records. */
const USTAR_MAX_ID = 0o777777;

/** tar-stream writes `pax` records (its typings leave them out). */
type TarHeader = Headers & { pax?: Record<string, string> };

export interface TarDumpOutcome {
  entries: number;
  bytes: number;
  warnings: string[];
}

/** An entry as it goes into the archive; a file's chunk digests once resolved. */
interface Planned {
  path: string;
  entry: TreeEntry;
  header: TarHeader;
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
 * The archive's entries from `dir` down; `self` is the directory's own entry (none for the
 * snapshot's root). The next group's chunks are asked for while the current one is written:
 * about two groups (or one large file's two windows) are held at once.
 */
export async function packDirectory(trees: TreeSource, dir: Uint8Array, prefix: string, self: TreeEntry | null, pack: Pack): Promise<TarDumpOutcome> {
  const outcome: TarDumpOutcome = { entries: 0, bytes: 0, warnings: [] };
  const skipped = { names: 0, sockets: 0, xattrs: 0, times: 0 };
  const firstPathOf = new Map<number, string>();
  // Trees come level by level, thousands per request, while the walk writes what it has.
  const loaded = trees.loadAllBehind(dir);
  loaded.catch(() => undefined); // its failure ends the walk below, which reports it
  let current = new Group();
  let previous: Group | null = null;
  const writePrevious = async (): Promise<void> => {
    if (previous === null) return;
    const group = previous;
    previous = null;
    const raw = await (group.fetched as Promise<Buffer[]>);
    let at = 0;
    for (const item of group.items) {
      if (item.digests === null) await addEntry(pack, item.header);
      else {
        const chunks = raw.slice(at, at + item.digests.length);
        at += item.digests.length;
        outcome.bytes += await addFile(pack, item, chunks);
      }
    }
  };
  const askForCurrent = async (): Promise<void> => {
    if (current.items.length === 0) return;
    const group = current;
    const slots: Buffer[] = [];
    group.fetched = trees.fetcher.many(group.digests, (i, raw) => {
      slots[i] = raw;
    }).then(() => slots);
    group.fetched.catch(() => undefined); // awaited when written; a failure then ends the dump
    await writePrevious();
    previous = group;
    current = new Group();
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
    if (entry.xattrs && entry.xattrs.length > 0) skipped.xattrs++;
    if (entry.mtimeNs < 0n) skipped.times++;
    outcome.entries++;
    let header = headerFor(path, entry);
    if (entry.type !== 'dir' && entry.hardlink !== undefined) {
      const first = firstPathOf.get(entry.hardlink);
      if (first !== undefined) header = { ...header, type: 'link', linkname: first };
      else firstPathOf.set(entry.hardlink, path);
    }
    if (header.type !== 'file') {
      current.items.push({ path, entry, header, digests: null });
      if (current.items.length >= GROUP_ENTRIES) await askForCurrent();
      continue;
    }
    const digests = entry.list ? await trees.listChunks(entry.list) : (entry.data ?? []);
    const item = { path, entry, header, digests };
    if (entry.size >= LARGE_FILE_BYTES) {
      await askForCurrent();
      await writePrevious();
      outcome.bytes += await addFile(pack, item, orderedChunks(trees.fetcher, digests, entry.size));
      continue;
    }
    current.items.push(item);
    current.digests.push(...digests);
    current.bytes += entry.size;
    if (current.digests.length >= GROUP_CHUNKS || current.bytes >= GROUP_BYTES || current.items.length >= GROUP_ENTRIES) await askForCurrent();
  }
  await askForCurrent();
  await writePrevious();
  await loaded;
  if (skipped.names > 0) outcome.warnings.push(`${skipped.names} entries left out (with what is below them): a name or link target that is not UTF-8, which tar cannot carry; haven restore brings them back`);
  if (skipped.sockets > 0) outcome.warnings.push(`${skipped.sockets} sockets left out: tar has no type for them`);
  if (skipped.times > 0) outcome.warnings.push(`${skipped.times} entries dated before 1970 written as 1970-01-01 (tar-stream writes no negative times)`);
  if (skipped.xattrs > 0) outcome.warnings.push(`${skipped.xattrs} entries' extended attributes not carried: tar holds content, modes, owners and times; haven restore keeps them`);
  return outcome;
}

function headerFor(path: string, e: TreeEntry): TarHeader {
  const header: TarHeader = {
    name: e.type === 'dir' ? `${path}/` : path,
    mode: e.mode & 0o7777,
    uid: e.uid <= USTAR_MAX_ID ? e.uid : 0,
    gid: e.gid <= USTAR_MAX_ID ? e.gid : 0,
    mtime: new Date(e.mtimeNs < 0n ? 0 : Number(e.mtimeNs / 1_000_000_000n) * 1000),
    size: 0,
    type: TAR_TYPE[e.type],
  };
  const pax: Record<string, string> = {};
  if (e.uid > USTAR_MAX_ID) pax.uid = String(e.uid);
  if (e.gid > USTAR_MAX_ID) pax.gid = String(e.gid);
  if (Object.keys(pax).length > 0) header.pax = pax;
  if (e.type === 'symlink') header.linkname = e.target ?? '';
  if ((e.type === 'chardev' || e.type === 'blockdev') && e.rdev !== undefined) {
    header.devmajor = deviceMajor(e.rdev);
    header.devminor = deviceMinor(e.rdev);
  }
  return header;
}

const TAR_TYPE: Record<TreeEntry['type'], Headers['type']> = {
  file: 'file', dir: 'directory', symlink: 'symlink', fifo: 'fifo', chardev: 'character-device', blockdev: 'block-device', socket: null,
};

// Linux's dev_t encoding (glibc's gnu_dev_major/minor): 12 bits of major, 20 of minor, split.
function deviceMajor(rdev: number): number {
  const d = BigInt(rdev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
}

function deviceMinor(rdev: number): number {
  const d = BigInt(rdev);
  return Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
}

/** An entry without content, written once the pack has taken it. */
function addEntry(pack: Pack, header: TarHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}

/** A file's content into its entry, chunk by chunk (each verified when fetched); answers its bytes. */
async function addFile(pack: Pack, item: Planned, chunks: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<number> {
  const { entry: e, path } = item;
  let settle: { resolve: () => void; reject: (err: Error) => void } | null = null;
  const packed = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const sink: Writable = pack.entry({ ...item.header, size: e.size }, (err) => (err ? settle?.reject(err) : settle?.resolve()));
  let written = 0;
  try {
    for await (const raw of chunks) {
      // The header promised e.size bytes: chunks that hold more would break the archive.
      if (written + raw.length > e.size) throw sizeMismatch(path, item);
      written += raw.length;
      if (!sink.write(raw)) await once(sink, 'drain');
    }
    if (written !== e.size) throw sizeMismatch(path, item);
  } catch (err) {
    // The archive ends here, cut (the caller destroys the pack): the entry's own end is not news.
    sink.on('error', () => undefined);
    packed.catch(() => undefined);
    throw err;
  }
  sink.end();
  await packed;
  return written;
}

function sizeMismatch(path: string, { entry: e, digests }: Planned): HavenError {
  return new HavenError('OBJECT_UNDECODABLE', {
    digest: toHex(e.list ?? digests?.[0] ?? new Uint8Array(32)), kind: e.list ? 'list' : 'chunk',
    detail: `${path}: the snapshot says ${e.size} bytes, its chunks hold another length`,
  });
}

export function createPack(): Pack {
  return tar.pack();
}
