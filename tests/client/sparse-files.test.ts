// A sparse file's holes are not read (client/src/backup/file-holes.ts): the chunks a hole
// would give are known from its length. Skipping must record exactly what reading would:
// the same tree is backed up once written densely (every zero written) and once with holes,
// and the two snapshots must not differ in any entry, chunk for chunk. Layouts cover holes
// shorter than, equal to and just past one zero chunk, holes at the start and at the end,
// written zeros beside holes, and random mixes; the sparse snapshot restores bit-exact and
// sparse, and reports the hole bytes it did not read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { addonOrFallback } from '../../core/src/native/addon.js';
import { FileHoles, holesTrustedAt } from '../../client/src/backup/file-holes.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { needRoot } from '../helpers/prereq.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

const KiB = 1024;
const MiB = 1 << 20;
/** The default datastore's maxSize, the length of a zero chunk (FastCDC finds no cut in zeros). */
const L = 4 * MiB;

/** h: a hole; d: seeded data; z: zeros written out (allocated, read as data). */
type Piece = ['h' | 'd' | 'z', number];

const LAYOUTS: Record<string, Piece[]> = {
  'hole-first': [['h', 9 * L + 3 * 4096], ['d', MiB], ['h', L], ['d', 100 * KiB]],
  'hole-at-end': [['d', 2 * MiB], ['h', 13 * L]],
  'hole-at-end-unaligned': [['d', 3 * MiB + 123], ['h', 7 * L + 5000]],
  'holes-around-one-chunk': [['d', MiB], ['h', L - 4096], ['d', MiB], ['h', L + 4096], ['d', 5000], ['h', 2 * L + 1], ['d', 1]],
  'written-zeros-beside-holes': [['d', MiB], ['z', 6 * MiB], ['h', 10 * L], ['z', 5 * MiB], ['d', MiB]],
  'one-large-hole': [['d', 64 * KiB], ['h', 120 * MiB], ['d', 64 * KiB]],
  // Chunks begin at known offsets only where zeros run from the file's start (the datastore's
  // seed moves every cut in data): these end their hole 4 KiB short of, at, or past a whole
  // zero chunk, so a hole overstated by a block would swallow data.
  'hole-first-one-block-short': [['h', 3 * L - 4096], ['d', 64 * KiB]],
  'zeros-then-hole-one-block-short': [['z', L], ['h', 2 * L - 4096], ['d', 64 * KiB]],
  'zeros-then-hole-one-block-past': [['z', L + 4096], ['h', 2 * L], ['d', 8192]],
  'all-hole': [['h', 5 * L]],
  'all-hole-unaligned': [['h', 5 * L + 4096 + 17]],
  'all-hole-one-byte-short': [['h', 5 * L - 1]],
};

/** Random mixes, the same on every run (a fixed seed). */
function randomLayouts(): Piece[][] {
  const length = fc.oneof(
    fc.integer({ min: 1, max: 64 * KiB }),
    fc.integer({ min: L - 8192, max: L + 8192 }),
    fc.integer({ min: 2 * L - 4096, max: 5 * L }),
  );
  const piece = fc.tuple(fc.constantFrom<'h' | 'd' | 'z'>('h', 'd', 'z'), length);
  return fc.sample(fc.array(piece, { minLength: 3, maxLength: 7 }), { numRuns: 4, seed: 20261207 });
}

function pieceBytes(kind: 'd' | 'z', length: number, seed: string): Buffer {
  return kind === 'd' ? seededBytes(length, seed) : Buffer.alloc(length);
}

/** Writes the layout with holes left as holes, or densely (every byte written). */
function writeLayout(path: string, pieces: Piece[], name: string, dense: boolean): void {
  const fd = openSync(path, 'w');
  try {
    let at = 0;
    pieces.forEach(([kind, length], i) => {
      if (kind !== 'h' || dense) {
        const bytes = pieceBytes(kind === 'h' ? 'z' : kind, length, `${name}-${i}`);
        for (let o = 0; o < length; o += 16 * MiB) writeSync(fd, bytes, o, Math.min(16 * MiB, length - o), at + o);
      }
      at += length;
    });
    ftruncateSync(fd, at);
  } finally {
    closeSync(fd);
  }
}

const FIXED_TIME = new Date('2026-01-02T03:04:05Z');

function writeTree(src: string, layouts: Array<[string, Piece[]]>, dense: boolean): void {
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src);
  for (const [name, pieces] of layouts) {
    writeLayout(join(src, name), pieces, name, dense);
    utimesSync(join(src, name), FIXED_TIME, FIXED_TIME);
  }
  utimesSync(src, FIXED_TIME, FIXED_TIME);
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

interface BackupJson {
  snapshot: { id: string; stats: Record<string, number> };
  warnings: string[];
}

test('holes skipped record the same chunks as holes read; the snapshot restores bit-exact and sparse', { timeout: 300_000 }, async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  const layouts: Array<[string, Piece[]]> = [...Object.entries(LAYOUTS), ...randomLayouts().map((p, i): [string, Piece[]] => [`random-${i}`, p])];

  writeTree(src, layouts, true);
  const dense = await w.json<BackupJson>(['backup', '--group', 'sparse', 'src'], { cwd: work, timeoutMs: 240_000 });
  assert.deepEqual(dense.warnings, []);
  assert.equal(dense.snapshot.stats.bytesHoles ?? 0, 0, 'a dense tree has no holes to skip');

  writeTree(src, layouts, false);
  const oneLarge = statSync(join(src, 'one-large-hole'));
  assert.ok(oneLarge.blocks * 512 < 8 * MiB, `this file system keeps holes (one-large-hole: ${oneLarge.blocks * 512} bytes allocated)`);
  const sparse = await w.json<BackupJson>(['backup', '--group', 'sparse', 'src'], { cwd: work, timeoutMs: 240_000 });
  assert.deepEqual(sparse.warnings, []);

  // No byte of a hole is read: the file system's holes are whole 4 KiB blocks, so a hole of
  // h bytes leaves at most 8 KiB - 2 of them in the blocks of the data around it.
  const holes = layouts.flatMap(([, pieces]) => pieces.filter(([k]) => k === 'h').map(([, n]) => n));
  const atLeast = holes.reduce((s, h) => s + Math.max(0, h - 8192), 0);
  const atMost = holes.reduce((s, h) => s + h, 0);
  const skipped = sparse.snapshot.stats.bytesHoles ?? 0;
  console.log(`holes ${atMost} bytes; not read ${skipped} (at least ${atLeast} expected)`);
  assert.ok(skipped >= atLeast && skipped <= atMost, `bytes of holes not read: ${skipped}, expected ${atLeast}..${atMost}`);

  const diff = await w.json<{ changes: unknown[] }>(['diff', dense.snapshot.id, sparse.snapshot.id, '--group', 'sparse']);
  assert.deepEqual(diff.changes, [], 'the snapshot made with holes skipped is the snapshot made by reading them');

  const target = join(tempDir(t), 'restored');
  const restored = await w.json<{ warnings: string[]; bytesSparse: number }>(['restore', sparse.snapshot.id, '--group', 'sparse', '--target', target], { timeoutMs: 240_000 });
  assert.deepEqual(restored.warnings, []);
  for (const [name] of layouts) assert.equal(sha(join(target, 'src', name)), sha(join(src, name)), `${name} restores bit-exact`);
  const back = statSync(join(target, 'src', 'one-large-hole'));
  assert.ok(back.blocks * 512 < 16 * MiB, `one-large-hole comes back sparse (${back.blocks * 512} bytes allocated)`);
});

test('FileHoles answers from the kernel: the bytes of hole ahead of an offset, and none without the addon', (t) => {
  const path = join(tempDir(t), 'holes.img');
  writeLayout(path, [['d', 4096], ['h', MiB - 4096], ['d', 8192], ['h', 2 * MiB]], 'unit', false);
  const fd = openSync(path, 'r');
  try {
    const holes = new FileHoles(fd, addonOrFallback());
    const end = 3 * MiB + 8192;
    assert.equal(holes.zerosAt(0), 0, 'data');
    assert.equal(holes.zerosAt(4096), MiB - 4096, 'from the start of the first hole');
    assert.equal(holes.zerosAt(500_000), MiB - 500_000, 'from inside it');
    assert.equal(holes.zerosAt(MiB), 0, 'data again');
    assert.equal(holes.zerosAt(MiB + 4096), 0);
    assert.equal(holes.zerosAt(MiB + 8192), end - (MiB + 8192), 'the hole that runs to the end of the file');
    assert.equal(holes.zerosAt(end - 1), 1);
    assert.equal(holes.zerosAt(end), 0, 'at the end');
    assert.equal(new FileHoles(fd, null).zerosAt(4096), 0, 'without the addon every byte is read');
  } finally {
    closeSync(fd);
  }
});

test('holes are asked only where the file system is trusted to answer: under overlayfs the same file is read whole, to the same chunks', { timeout: 120_000 }, async (t) => {
  if (!needRoot(t, 'an overlayfs mount')) return;
  const w = await cliWorld(t);
  const work = tempDir(t);
  const [lower, upper, scratch, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(work, d)) as [string, string, string, string];
  for (const d of [lower, upper, scratch, merged]) mkdirSync(d);
  writeTree(join(lower, 'src'), [['vm.img', [['d', MiB], ['h', 6 * L], ['d', 64 * KiB]]]], false);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${scratch}`, merged]);
  t.after(() => execFileSync('umount', [merged]));
  assert.equal(holesTrustedAt(join(lower, 'src', 'vm.img')), true, 'ext4 or tmpfs: trusted');
  assert.equal(holesTrustedAt(join(merged, 'src', 'vm.img')), false, 'overlayfs: not on the list');
  assert.equal(holesTrustedAt('/proc/self/status'), false);

  const direct = await w.json<BackupJson>(['backup', '--group', 'ovl', 'src'], { cwd: lower });
  const through = await w.json<BackupJson>(['backup', '--group', 'ovl', 'src'], { cwd: merged });
  assert.ok((direct.snapshot.stats.bytesHoles ?? 0) >= 6 * L - 8192, `the holes skipped on the trusted file system: ${direct.snapshot.stats.bytesHoles}`);
  assert.equal(through.snapshot.stats.bytesHoles ?? 0, 0, 'no hole skipped through overlayfs');
  assert.equal(through.snapshot.stats.bytesRead, direct.snapshot.stats.bytesRead, 'the whole file read, its length counted alike');
  const diff = await w.json<{ changes: Array<{ path: string }> }>(['diff', direct.snapshot.id, through.snapshot.id, '--group', 'ovl']);
  assert.deepEqual(diff.changes.filter((c) => c.path === 'src/vm.img'), [], 'the same chunks either way');
});
