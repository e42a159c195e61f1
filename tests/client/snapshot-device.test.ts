// Backing up from a file system snapshot is how an admin gets a consistent backup of a live
// volume: each night a fresh btrfs snapshot, mounted at the same place. Each snapshot has a
// device number of its own (st_dev) and the same inodes and times as the volume. The files
// cache is keyed by (device, inode), so every file missed it and every night read the whole
// volume again. For files on a device the cache has never seen, the previous snapshot now
// stands in (as it does without a cache): a file with the same path, size, mtime and ctime
// keeps its chunks. Real btrfs on a loop device, a bind mount at a fixed path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorld } from '../helpers/haven-cli.js';
import { attachLoop, sparseFile } from '../helpers/loop.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';
import { seededBytes } from '../helpers/real-data.js';
import { settle } from '../helpers/settle.js';
import { tempDir } from '../helpers/tmp.js';

const FILES = 120;

interface BackupJson {
  warnings: string[];
  snapshot: { id: string; stats: Record<string, number> };
}

test('a fresh btrfs snapshot each night, mounted at one place: only what changed is read', { timeout: 180_000 }, async (t) => {
  if (!needRoot(t, 'a loop-mounted btrfs') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is missing')) return;
  const w = await cliWorld(t);
  const work = tempDir(t);
  const dev = attachLoop(t, sparseFile(join(work, 'btrfs.img'), 512 << 20));
  execFileSync('mkfs.btrfs', ['-q', '-f', dev], { stdio: ['ignore', 'ignore', 'pipe'] });
  const fs = join(work, 'fs');
  const cur = join(work, 'cur');
  mkdirSync(fs);
  mkdirSync(cur);
  execFileSync('mount', [dev, fs]);
  const mounted: string[] = [fs];
  t.after(() => {
    for (const m of mounted.reverse()) execFileSync('umount', [m]);
  });
  const btrfs = (...args: string[]): void => void execFileSync('btrfs', args, { stdio: 'ignore' });
  const vol = join(fs, 'vol');
  btrfs('subvolume', 'create', vol);
  mkdirSync(join(vol, 'docs'));
  for (let i = 0; i < FILES; i++) writeFileSync(join(vol, 'docs', `f${i}`), seededBytes(1000 + i * 97, `doc-${i}`));
  writeFileSync(join(vol, 'large.bin'), seededBytes(6 << 20, 'large'));
  await settle();

  /** Snapshots the volume as `name`, mounts it on `cur` instead of the last one, backs up `cur`. */
  const night = async (name: string): Promise<BackupJson> => {
    btrfs('subvolume', 'snapshot', '-r', vol, join(fs, name));
    if (mounted.length > 1) execFileSync('umount', [mounted.pop() as string]);
    execFileSync('mount', ['--bind', join(fs, name), cur]);
    mounted.push(cur);
    return w.json<BackupJson>(['backup', '--group', 'nightly', 'cur'], { cwd: work });
  };

  const first = await night('snap-1');
  assert.deepEqual(first.warnings, []);
  assert.equal(first.snapshot.stats.filesRead, FILES + 1);
  const devOf = (p: string): number => statSync(p).dev;
  const firstDev = devOf(join(cur, 'large.bin'));

  appendFileSync(join(vol, 'docs', 'f7'), 'edited');
  await settle();
  const second = await night('snap-2');
  assert.notEqual(devOf(join(cur, 'large.bin')), firstDev, 'the snapshot has a device of its own');
  assert.equal(second.snapshot.stats.filesRead, 1, 'only the edited file is read');
  assert.equal(second.snapshot.stats.filesCached, FILES, 'the others come from the previous snapshot');

  const restored = tempDir(t);
  await w.json(['restore', second.snapshot.id, '--target', restored]);
  for (const name of ['docs/f7', 'docs/f0', `docs/f${FILES - 1}`, 'large.bin']) {
    assert.ok(readFileSync(join(restored, 'cur', name)).equals(readFileSync(join(cur, name))), `${name} restored as in the snapshot`);
  }

  const third = await night('snap-3');
  assert.equal(third.snapshot.stats.filesRead, 0, 'nothing changed: nothing read');
  assert.equal(third.snapshot.stats.filesCached, FILES + 1);
});
