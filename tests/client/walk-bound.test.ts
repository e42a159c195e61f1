// The walk waits for the content workers once 4096 files are handed out and unanswered
// (client/src/backup/file-batcher.ts). A chain of nested directories, each with 250 files
// and the next directory, makes the walk reach each level only after the levels above have
// handed out their files, so with one worker it runs into the bound; the tree, with files
// larger than a read window, must still come back whole: the wait always ends, and no
// directory's tree is built before its files are answered.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
