// An inotify queue overflow (IN_Q_OVERFLOW) under haven backup --watch: the watcher is
// stopped (SIGSTOP) so that it reads nothing while more changes than the kernel's queue holds
// (fs.inotify.max_queued_events) happen, among them a directory made after the queue was
// full, whose event is lost. After SIGCONT the overflow must be noticed, the next snapshot
// must restore exactly as the tree, and the lost directory must be watched again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorld } from '../helpers/haven-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSnapshotIsTree, startWatch } from '../helpers/watch-process.js';

const BOUND_MS = 40_000;

test('an inotify queue overflow ends in a snapshot identical to the tree, and lost directories are watched again', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(join(src, 'many'), { recursive: true });
  writeFileSync(join(src, 'keep.txt'), 'keep\n');

  const watch = startWatch(t, w, ['--debounce', '0.3', '--group', 'flood', 'src'], work);
  await watch.snapshotAfter(0, BOUND_MS);

  // Per file: IN_CREATE, then IN_MODIFY and IN_CLOSE_WRITE per write; the kernel merges an
  // event only into an identical one just before it, so interleaved names are never merged.
  const queue = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
  const rounds = 8;
  const files = Math.ceil((queue * 1.25) / (1 + 2 * rounds));
  watch.proc.kill('SIGSTOP');
  try {
    for (let i = 0; i < files; i++) writeFileSync(join(src, 'many', `f${i}`), `${i}\n`);
    for (let r = 1; r < rounds; r++) for (let i = 0; i < files; i++) appendFileSync(join(src, 'many', `f${i}`), `${r}\n`);
    for (let i = 0; i < files; i += 10) rmSync(join(src, 'many', `f${i}`));
    // made after the queue was full: its IN_CREATE is lost with the rest
    mkdirSync(join(src, 'late', 'deeper'), { recursive: true });
    writeFileSync(join(src, 'late', 'deeper', 'inside.txt'), 'inside\n');
  } finally {
    watch.proc.kill('SIGCONT');
  }
  const flooded = Date.now();
  t.diagnostic(`${files} files, about ${files * (1 + 2 * rounds)} events against a queue of ${queue}`);

  await watch.waitFor((e) => e.event === 'notice' && /overflowed/.test(String(e.message)), BOUND_MS);
  const after = await watch.snapshotAfter(flooded, BOUND_MS);
  console.log(`overflow: snapshot saved ${after.seenAt - flooded} ms after the flood`);
  assert.equal(after.snapshot.stats.files, files - Math.ceil(files / 10) + 2, 'every file is in the snapshot after the overflow');

  // the rescan watched the directory whose event was lost
  writeFileSync(join(src, 'late', 'deeper', 'after.txt'), 'after\n');
  const changed = Date.now();
  const last = await watch.snapshotAfter(changed, BOUND_MS);
  console.log(`overflow: a change in a directory made during the overflow: snapshot saved ${last.seenAt - changed} ms after it`);
  // and that snapshot is the whole tree, every file of the flood exactly
  await assertSnapshotIsTree(w, last.snapshot.id, src, join(work, 'restored'), 'the snapshot after the overflow');
  assert.equal(await watch.stop('SIGTERM'), 0);
});
