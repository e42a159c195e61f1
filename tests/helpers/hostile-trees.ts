// Snapshots a hostile server (or a snapshot pushed with a mere backup token) can serve, as
// object graphs of real encodings (object-graph.ts), for issue 18: each is made of objects
// the decoders accept one by one, and attacks what the client builds from them.

import { statSync } from 'node:fs';
import { seededBytes } from './real-data.js';
import { GraphBuilder, entry, type ObjectGraph } from './object-graph.js';

export interface SplitPartDuplicateOptions {
  /** Whether the part holding the symlink comes before the part holding the directory. */
  symlinkFirst: boolean;
  /** Where the symlink points: a directory the restore must leave alone. */
  outside: string;
}

/**
 * A root directory stored as two parts, each sorted and valid on its own, that both hold the
 * name `esc`: in one a symlink to `outside`, in the other a directory holding a fifo, a
 * character device (rdev of /dev/null, 0666, owned by 4242), a symlink to /etc/passwd and a
 * file, itself 0777, owned by 4242 and with an xattr. A client that joins the parts without
 * checking the names are unique across them restores that directory through the symlink.
 */
export function splitPartDuplicate(o: SplitPartDuplicateOptions): ObjectGraph {
  const g = new GraphBuilder();
  const link = entry('esc', 'symlink', { target: o.outside });
  const owner = { uid: 4242, gid: 4242 };
  const dir = g.dir('esc', [
    entry('fifo', 'fifo', { mode: 0o666, ...owner }),
    entry('null', 'chardev', { mode: 0o666, ...owner, rdev: statSync('/dev/null').rdev }),
    entry('passwd', 'symlink', { target: '/etc/passwd' }),
    g.file('file', 'written through the symlink\n', { mode: 0o666, ...owner }),
  ], { mode: 0o777, ...owner, xattrs: [['user.haven.hostile', Buffer.from('escaped')]] });
  return g.graph(g.splitTree(o.symlinkFirst ? [[link], [dir]] : [[dir], [link]]));
}

/**
 * T0 holds three files; T(k+1) holds `fanout` directories (d0, d1, ...) that all are T(k).
 * `levels` + 1 trees and one chunk name 3 x fanout^levels files.
 */
export function sharedSubtreeDag(levels: number, fanout: number): ObjectGraph {
  const g = new GraphBuilder();
  let tree = g.tree(['a', 'b', 'c'].map((n) => g.file(n, 'the same leaf\n')));
  for (let k = 0; k < levels; k++) tree = g.tree(Array.from({ length: fanout }, (_, i) => entry(`d${i}`, 'dir', { subtree: tree })));
  return g.graph(tree);
}

const LIST_ITEMS = 65536;
const BOMB_CHUNK_BYTES = 256;

/**
 * One file whose list is a level-1 list of 65536 times the same level-0 list, which holds
 * 65536 times the same 256-byte chunk: 2^32 chunks from three small objects. The claimed
 * size, 2^40 bytes, is consistent with that, so only the chunk count gives it away.
 */
export function nestedListBomb(): ObjectGraph {
  const g = new GraphBuilder();
  const chunk = g.data(Buffer.alloc(BOMB_CHUNK_BYTES, 0x61));
  const level0 = g.list(0, new Array<Buffer>(LIST_ITEMS).fill(chunk));
  const level1 = g.list(1, new Array<Buffer>(LIST_ITEMS).fill(level0));
  return g.graph(g.tree([entry('bomb', 'file', { size: LIST_ITEMS * LIST_ITEMS * BOMB_CHUNK_BYTES, list: level1 })]));
}

/** Directories named `d` nested `depth` deep, a file at the bottom. */
export function deepNesting(depth: number): ObjectGraph {
  const g = new GraphBuilder();
  let tree = g.tree([g.file('bottom', 'the bottom\n')]);
  for (let i = 0; i < depth; i++) tree = g.tree([entry('d', 'dir', { subtree: tree })]);
  return g.graph(tree);
}

/** What a restore of legitimate() must produce. */
export interface ExpectedEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'fifo';
  mode?: number;
  content?: Buffer;
  target?: string;
}

/** More chunks than a tree entry holds inline (64), so the big file goes through a list. */
const BIG_FILE_CHUNKS = 70;

/**
 * A normal small snapshot: files (one empty, one large enough for a list object), nested
 * directories, a fifo, and symlinks whose targets look outside (a symlink may point
 * anywhere; it must be created as a link, never followed).
 */
export function legitimate(): ObjectGraph & { expected: ExpectedEntry[] } {
  const g = new GraphBuilder();
  const hello = Buffer.from('hello from the snapshot\n');
  const inner = Buffer.from('one level down\n');
  const note = Buffer.from('two levels down\n');
  const chunks = Array.from({ length: BIG_FILE_CHUNKS }, (_, i) => seededBytes(1024, `big-${i}`));
  const big = Buffer.concat(chunks);
  const root = g.tree([
    g.file('hello.txt', hello, { mode: 0o640 }),
    g.file('empty', ''),
    entry('big.bin', 'file', { size: big.length, list: g.list(0, chunks.map((c) => g.data(c))) }),
    g.dir('sub', [g.file('inner.txt', inner), g.dir('deeper', [g.file('note', note)], { mode: 0o700 })], { mode: 0o750 }),
    entry('pipe', 'fifo', { mode: 0o620 }),
    entry('up', 'symlink', { target: '../../etc' }),
    entry('abs', 'symlink', { target: '/etc/passwd' }),
  ]);
  const expected: ExpectedEntry[] = [
    { path: 'abs', type: 'symlink', target: '/etc/passwd' },
    { path: 'big.bin', type: 'file', mode: 0o644, content: big },
    { path: 'empty', type: 'file', mode: 0o644, content: Buffer.alloc(0) },
    { path: 'hello.txt', type: 'file', mode: 0o640, content: hello },
    { path: 'pipe', type: 'fifo', mode: 0o620 },
    { path: 'sub', type: 'dir', mode: 0o750 },
    { path: 'sub/deeper', type: 'dir', mode: 0o700 },
    { path: 'sub/deeper/note', type: 'file', mode: 0o644, content: note },
    { path: 'sub/inner.txt', type: 'file', mode: 0o644, content: inner },
    { path: 'up', type: 'symlink', target: '../../etc' },
  ];
  return { ...g.graph(root), expected };
}
