// The walk waits for the content workers once 4096 files are handed out and unanswered
// (client/src/backup/file-batcher.ts). A chain of nested directories, each with 250 files
// and the next directory, makes the walk reach each level only after the levels above have
// handed out their files, so with one worker it runs into the bound; the tree, with files
// larger than a read window, must still come back whole: the wait always ends, and no
// directory's tree is built before its files are answered.
//
// And the bound is what bounds the walk's memory, not the size of the tree. A first backup of
// a million small files once held ~650k entries on the main thread (1.2 GB of heap): files
// were counted only once handed to a worker, after an await, so every directory's whole
// listing passed the check, and each wake-up released every waiting directory. A real
// BackupRun (real content workers, a real havend) backs up a tree of 12 subtrees, 3 levels
// deep, with a budget of 32 files, and the walk's own counters must stay within it: files in flight never
// above the budget, and entries of listed, unfinished directories a small part of the tree
// (the walk goes depth first and drops a subtree's entries before the next begins).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupRun } from '../../client/src/backup/backup-run.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { addonOrFallback } from '../../core/src/native/addon.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

const DIRS = 24;
const FILES_PER_DIR = 250; // 6000 files in all, half again the bound

test('a tree of more files than the walk may hand out at once is backed up and restored whole', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  const level = (d: number): string => join(...Array.from({ length: d + 1 }, (_, i) => `l${i}`));
  for (let d = 0; d < DIRS; d++) {
    const dir = join(src, level(d));
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES_PER_DIR; f++) writeFileSync(join(dir, `f${f}`), `${d}/${f}\n`);
  }
  // two files larger than a read window (8 MiB), which used to stop the walk behind them
  writeFileSync(join(src, level(0), 'big-a'), seededBytes(9 << 20, 'walk-bound-a'));
  writeFileSync(join(src, level(3), 'big-b'), seededBytes(9 << 20, 'walk-bound-b'));

  const s = await w.json<{ snapshot: { id: string; stats: { files: number } } }>(['backup', '--group', 'walk', 'src'], { cwd: work, env: { HAVEN_WORKERS: '1' } });
  assert.equal(s.snapshot.stats.files, DIRS * FILES_PER_DIR + 2);

  const restored = tempDir(t);
  await w.json(['restore', s.snapshot.id, '--target', restored]);
  for (let d = 0; d < DIRS; d++) {
    const dir = join(restored, 'src', level(d));
    const names = readdirSync(dir).filter((n) => n.startsWith('f'));
    assert.equal(names.length, FILES_PER_DIR, dir);
    for (let f = 0; f < FILES_PER_DIR; f += 37) assert.equal(readFileSync(join(dir, `f${f}`), 'utf8'), `${d}/${f}\n`);
  }
  assert.ok(readFileSync(join(restored, 'src', level(0), 'big-a')).equals(seededBytes(9 << 20, 'walk-bound-a')));
  assert.ok(readFileSync(join(restored, 'src', level(3), 'big-b')).equals(seededBytes(9 << 20, 'walk-bound-b')));
});

/** Directories per level below the root, and files in each directory. */
const FANOUT = [12, 4, 4];
const FILES_IN_DIR = 12;
const BUDGET = 32;

/** A tree FANOUT.length levels deep below `root`, FILES_IN_DIR files in every directory. */
function makeTree(root: string): { files: number; entries: number } {
  let files = 0;
  let entries = 0;
  const fill = (dir: string, level: number): void => {
    for (let f = 0; f < FILES_IN_DIR; f++) {
      const path = join(dir, `f${f}`);
      writeFileSync(path, `${path}\n`.repeat(1 + (files % 7)));
      files++;
      entries++;
    }
    for (let d = 0; d < (FANOUT[level] ?? 0); d++) {
      const sub = join(dir, `d${d}`);
      mkdirSync(sub);
      entries++;
      fill(sub, level + 1);
    }
  };
  fill(root, 0);
  return { files, entries };
}

test('a first backup holds no more files than its budget, and a small part of the tree', async (t) => {
  const w = await cliWorld(t);
  const src = join(tempDir(t), 'src');
  mkdirSync(src);
  const tree = makeTree(src);
  const api = w.daemon.client(w.token);
  const run = new BackupRun({ group: 'walk', paths: [src], tags: [], excludes: [], host: 'test' }, {
    api, connection: { server: w.daemon.url, token: w.token }, cacheDir: null, workers: 2, zstdLevel: 3,
    posix: createPosixOps(), addon: addonOrFallback(), aheadFiles: BUDGET,
  });
  const outcome = await run.run();
  assert.equal(outcome.snapshot.stats.files, tree.files);
  assert.deepEqual(outcome.warnings, []);
  const { filesAheadPeak, entriesPeak } = run.walkStats;
  console.log(`${tree.files} files, ${tree.entries} entries: at most ${filesAheadPeak} files in flight (budget ${BUDGET}), ${entriesPeak} entries held`);
  assert.ok(filesAheadPeak > 0 && filesAheadPeak <= BUDGET, `files in flight peaked at ${filesAheadPeak}, budget ${BUDGET}`);
  // Depth first, the walk holds the directories on the path to where it reads, those with
  // files in flight and those being listed (at the start, while there is room, most of the
  // first two levels): a few hundred of this tree's 3,300 entries, where counting files only
  // once handed to a worker held 2,200-2,800.
  assert.ok(entriesPeak < tree.entries / 3, `the walk held ${entriesPeak} of ${tree.entries} entries at once`);
});
