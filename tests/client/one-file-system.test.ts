// haven backup --one-file-system (-x) with a real file system mounted inside the tree (tmpfs):
// without it the backup crosses into the mount; with it the mount point is kept as an empty
// directory and the rest is whole, run after run with the files cache either way. Watching with -x does not wake for changes below the mount point.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliWorld } from '../helpers/haven-cli.js';
import { isRoot, need } from '../helpers/prereq.js';
import { settle } from '../helpers/settle.js';
import { tempDir } from '../helpers/tmp.js';
import { startWatch } from '../helpers/watch-process.js';

/** A tmpfs mounted on `dir` (made), unmounted when the test ends. */
function mountTmpfs(t: TestContext, dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]);
  t.after(() => execFileSync('umount', [dir]));
}

function tree(t: TestContext, work: string): string {
  const src = join(work, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'on the source\'s file system\n');
  writeFileSync(join(src, 'sub', 'b.txt'), 'here too\n');
  mountTmpfs(t, join(src, 'mnt'));
  mkdirSync(join(src, 'mnt', 'inside'));
  writeFileSync(join(src, 'mnt', 'inside', 'c.txt'), 'on another file system\n');
  return src;
}

const WITHOUT_MOUNT = ['src', 'src/a.txt', 'src/mnt', 'src/sub', 'src/sub/b.txt'];
const WITH_MOUNT = ['src', 'src/a.txt', 'src/mnt', 'src/mnt/inside', 'src/mnt/inside/c.txt', 'src/sub', 'src/sub/b.txt'];

test('--one-file-system keeps a mount point as an empty directory; without it the backup crosses', async (t) => {
  if (!need(t, isRoot(), 'root, to mount a tmpfs inside the tree')) return;
  const w = await cliWorld(t);
  const work = tempDir(t);
  tree(t, work);
  await settle(); // the files cache and directory records vouch for what they saw
  const paths = async (args: string[]): Promise<string[]> => {
    const b = await w.json<{ snapshot: { id: string } }>(['backup', '--group', 'fs', 'src', ...args], { cwd: work });
    const ls = await w.json<{ entries: Array<{ path: string }> }>(['ls', b.snapshot.id]);
    return ls.entries.map((e) => e.path);
  };
  assert.deepEqual(await paths([]), WITH_MOUNT, 'the default crosses into the mount, as restic\'s and borg\'s defaults do');
  // the directory records of one kind of run do not serve the other: the mount point's subtree differs
  assert.deepEqual(await paths(['--one-file-system']), WITHOUT_MOUNT);
  assert.deepEqual(await paths(['-x']), WITHOUT_MOUNT, 'and again, through its own records');
  assert.deepEqual(await paths([]), WITH_MOUNT, 'without the option the mount is back');

  const restored = join(work, 'restored');
  const x = await w.json<{ snapshot: { id: string } }>(['backup', '--group', 'fs', 'src', '-x'], { cwd: work });
  await w.json(['restore', x.snapshot.id, '--target', restored]);
  assert.ok(statSync(join(restored, 'src', 'mnt')).isDirectory());
  assert.deepEqual(readdirSync(join(restored, 'src', 'mnt')), [], 'the mount point restores empty');
});

test('watching with --one-file-system does not wake for changes below a mount point', async (t) => {
  if (!need(t, isRoot(), 'root, to mount a tmpfs inside the tree')) return;
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = tree(t, work);
  const watch = startWatch(t, w, ['--debounce', '0.3', '--group', 'fsw', '-x', 'src'], work);
  const first = await watch.snapshotAfter(0, 30_000);
  const ls = await w.json<{ entries: Array<{ path: string }> }>(['ls', first.snapshot.id]);
  assert.deepEqual(ls.entries.map((e) => e.path), WITHOUT_MOUNT);
  const before = watch.events.length;
  writeFileSync(join(src, 'mnt', 'inside', 'c.txt'), 'changed on the other file system\n');
  writeFileSync(join(src, 'mnt', 'new.txt'), 'new there\n');
  await sleep(3000); // ten debounces
  assert.deepEqual(watch.events.slice(before).filter((e) => e.event === 'snapshot'), [], 'no snapshot for changes it does not back up');
  const changed = Date.now();
  writeFileSync(join(src, 'a.txt'), 'changed on the source\'s file system\n');
  await watch.snapshotAfter(changed, 30_000);
});
