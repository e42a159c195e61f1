// A synthetic tree of many small files for the scale benchmark (bench/e2e/million-files.sh):
//
//   node dist/bench/e2e/small-files-tree.js ROOT [FILES=1000000] [SEED=1]
//
// The same FILES and SEED give the same tree, byte for byte (names, sizes, contents, layout).
// Shape, meant to look like a home or source tree rather than one flat directory:
// - ROOT holds top-N directories, each a subtree made breadth first: every directory holds an
//   exponentially distributed number of files (mean FILES_PER_DIR) and, above MAX_DEPTH, 0-6
//   subdirectories, so most directories are small and a few are large (a million files: ~33k
//   directories in ~280 subtrees of ~120);
// - file sizes are log-uniform between 200 B and 8 KiB (median ~1.3 KiB);
// - three files in four are text (lines of words from a fixed vocabulary: zstd shrinks them
//   about 3x), one in four is random bytes (already compressed media, keys, archives);
// - every file starts with its own number, so no two are identical and deduplication does
//   not shrink the work: every file is a new chunk on the first backup.
// Contents are slices of two 16 MiB pools made once from the seed, so writing a million files
// costs the file system's time, not the generator's.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../lib/mulberry32.js';

const FILES_PER_DIR = 30;
const MAX_DEPTH = 5;
const MIN_SIZE = 200;
const MAX_SIZE = 8192;
const POOL_BYTES = 16 << 20;

function textPool(rand: () => number): Buffer {
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  const vocabulary = Array.from({ length: 2000 }, () => {
    const length = 2 + Math.floor(rand() * 9);
    let word = '';
    for (let i = 0; i < length; i++) word += letters[Math.floor(rand() * rand() * letters.length)];
    return word;
  });
  const lines: string[] = [];
  let size = 0;
  while (size < POOL_BYTES) {
    const words = 3 + Math.floor(rand() * 10);
    let line = ' '.repeat(2 * Math.floor(rand() * 4));
    // a skewed pick: some words are common, as in real text
    for (let i = 0; i < words; i++) line += (i ? ' ' : '') + vocabulary[Math.floor(rand() * rand() * vocabulary.length)];
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n'), 'latin1').subarray(0, POOL_BYTES);
}

function randomPool(rand: () => number): Buffer {
  const pool = Buffer.alloc(POOL_BYTES);
  for (let i = 0; i < POOL_BYTES; i += 4) pool.writeUInt32LE(Math.floor(rand() * 0x100000000), i);
  return pool;
}

export function makeSmallFilesTree(root: string, files: number, seed: number): { files: number; dirs: number; bytes: number } {
  const rand = mulberry32(seed);
  const pools = [textPool(rand), randomPool(rand)] as const;
  const queue: { path: string; depth: number }[] = [];
  mkdirSync(root, { recursive: true });
  let written = 0;
  let dirs = 0;
  let bytes = 0;
  let tops = 0;
  while (written < files) {
    // a subtree ends when its last level is made: start the next one
    const dir = queue.shift() ?? { path: join(root, `top-${tops++}`), depth: 1 };
    mkdirSync(dir.path);
    dirs++;
    const count = Math.min(files - written, Math.round(-Math.log(1 - rand()) * FILES_PER_DIR));
    for (let i = 0; i < count; i++) {
      const size = Math.floor(MIN_SIZE * Math.pow(MAX_SIZE / MIN_SIZE, rand()));
      const text = rand() < 0.75;
      const pool = text ? pools[0] : pools[1];
      const offset = Math.floor(rand() * (POOL_BYTES - size));
      const header = Buffer.from(`${written}\n`, 'latin1');
      writeFileSync(join(dir.path, `f${i}${text ? '.txt' : '.bin'}`), Buffer.concat([header, pool.subarray(offset, offset + size)]));
      written++;
      bytes += header.length + size;
    }
    if (dir.depth < MAX_DEPTH) {
      const subdirs = Math.floor(rand() * 7);
      for (let i = 0; i < subdirs; i++) queue.push({ path: join(dir.path, `d${i}`), depth: dir.depth + 1 });
    }
  }
  return { files: written, dirs, bytes };
}

const [root, filesArg = '1000000', seedArg = '1'] = process.argv.slice(2);
if (!root) {
  console.error('usage: small-files-tree.js ROOT [FILES] [SEED]');
  process.exit(2);
}
const result = makeSmallFilesTree(root, Number(filesArg), Number(seedArg));
console.log(`files=${result.files} dirs=${result.dirs} bytes=${result.bytes}`);
