// haven backup --watch against a real havend: each change (content, a new file, a deletion,
// a new directory filled at once, a directory moved and then written into) is in a snapshot
// within a bounded time, and that snapshot restores exactly as the tree.

import { test } from 'node:test';
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSnapshotIsTree, startWatch } from '../helpers/watch-process.js';

/** Generous: a snapshot needs the debounce plus one incremental backup on a busy 2-core machine. */
const BOUND_MS = 30_000;

test('every change under a watched tree is in a snapshot within a bounded time', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(join(src, 'sub', 'deep'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'first\n');
  writeFileSync(join(src, 'sub', 'b.bin'), seededBytes(200_000, 'b'));
  writeFileSync(join(src, 'sub', 'deep', 'c.txt'), 'c\n');

  const watch = startWatch(t, w, ['--debounce', '0.3', '--group', 'watched', 'src'], work);
  const first = await watch.snapshotAfter(0, BOUND_MS);
  await assertSnapshotIsTree(w, first.snapshot.id, src, join(work, 'r0'), 'the first snapshot');

  const steps: Array<[string, () => void]> = [
    ['a changed file', () => appendFileSync(join(src, 'a.txt'), 'second\n')],
    ['an added file', () => writeFileSync(join(src, 'sub', 'new.bin'), seededBytes(70_000, 'new'))],
    ['a deleted file', () => rmSync(join(src, 'sub', 'deep', 'c.txt'))],
    // files written into a new directory before its watch can exist
    ['a new directory filled at once', () => {
      mkdirSync(join(src, 'fresh', 'inner'), { recursive: true });
      for (let i = 0; i < 20; i++) writeFileSync(join(src, 'fresh', 'inner', `f${i}`), `file ${i}\n`);
    }],
    ['a directory moved', () => renameSync(join(src, 'fresh'), join(src, 'moved'))],
    // its watches followed it
    ['a file in the moved directory', () => writeFileSync(join(src, 'moved', 'inner', 'late.txt'), 'late\n')],
  ];
  const delays: string[] = [];
  for (const [i, [what, change]] of steps.entries()) {
    change();
    const changed = Date.now();
    const snap = await watch.snapshotAfter(changed, BOUND_MS);
    delays.push(`${what}: ${snap.seenAt - changed} ms`);
    await assertSnapshotIsTree(w, snap.snapshot.id, src, join(work, `r${i + 1}`), what);
  }
  console.log(`watch delays (change -> snapshot saved): ${delays.join(', ')}`);
});
