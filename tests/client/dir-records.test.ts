// Directory records (client/src/backup/dir-records.ts): a directory whose listing and
// subdirectory trees are those of the last backup keeps its tree without its files being
// looked at. Every snapshot made with the records must be the very tree a backup without
// any cache makes of the same files (same root digest), whatever changed where, and a record
// naming a tree the appliance no longer has must not fail the backup.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { havend } from '../helpers/daemon.js';
import { cliWorld, type CliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { settle } from '../helpers/settle.js';
import { tempDir } from '../helpers/tmp.js';
import { restoreMatches } from './core-client-cases.js';
import { GC_TEST_ENV } from '../gc/gc-daemon.js';

interface Backup {
  snapshot: { id: string; root: string; stats: Record<string, number> };
  session: { stats: { hasQueried: number } };
  warnings: string[];
}

function sourceTree(src: string): void {
  for (const d of ['d0', 'd1', 'd2', 'd1/sub', 'd1/sub/deeper', 'empty']) mkdirSync(join(src, d), { recursive: true });
  for (const d of ['d0', 'd1', 'd2', 'd1/sub', 'd1/sub/deeper']) {
    for (let i = 0; i < 8; i++) writeFileSync(join(src, d, `f${i}`), seededBytes(3000 + i * 100, `${d}/${i}`));
  }
  symlinkSync('d0/f1', join(src, 'link'));
}

/** Past the file system's timestamp granularity, so the next change has a later ctime. */
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

async function backup(w: CliWorld, cwd: string, extra: string[] = []): Promise<Backup> {
  const b = await w.json<Backup>(['backup', '--group', 'dirs', 'src', ...extra], { cwd });
  assert.deepEqual(b.warnings, []);
  return b;
}

test('snapshots made through directory records are the trees a backup without a cache makes', { timeout: 180_000 }, async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  sourceTree(src);
  await settle();
  const first = await backup(w, work);
  assert.equal(first.snapshot.stats.filesRead, 40);

  const unchanged = await backup(w, work);
  assert.equal(unchanged.snapshot.root, first.snapshot.root);
  assert.equal(unchanged.snapshot.stats.filesRead, 0);
  assert.equal(unchanged.snapshot.stats.filesCached, 40, 'files under unchanged directories count as cached');
  assert.equal(unchanged.snapshot.stats.files, 40);
  assert.equal(unchanged.snapshot.stats.dirs, first.snapshot.stats.dirs);
  assert.equal(unchanged.session.stats.hasQueried, 1, 'only the snapshot root is built: every directory under it kept its tree');

  // Each change, then a backup with the records and one without any cache: the same tree.
  const changes: Array<[string, () => void, number]> = [
    ['a file deep down rewritten at the same size', () => writeFileSync(join(src, 'd1/sub/deeper/f3'), seededBytes(3300, 'other')), 1],
    ['a mode changed (the file is read again: its ctime is part of its cache key)', () => chmodSync(join(src, 'd0/f1'), 0o600), 1],
    ['a file added, one renamed (a new ctime: read again), one removed', () => {
      writeFileSync(join(src, 'd2/new'), 'new');
      renameSync(join(src, 'd2/f3'), join(src, 'd2/f3b'));
      rmSync(join(src, 'd2/f4'));
    }, 2],
    ['a directory renamed', () => renameSync(join(src, 'd1/sub'), join(src, 'd1/sub2')), 0],
    ['a directory made and one removed', () => {
      mkdirSync(join(src, 'd0/fresh'));
      rmSync(join(src, 'empty'), { recursive: true });
    }, 0],
  ];
  let last = unchanged.snapshot.root;
  for (const [what, change, read] of changes) {
    await tick();
    change();
    await settle();
    const cached = await backup(w, work);
    assert.notEqual(cached.snapshot.root, last, `${what}: a new tree`);
    assert.equal(cached.snapshot.stats.filesRead, read, `${what}: files read`);
    const fresh = await backup(w, work, ['--no-cache']);
    assert.equal(cached.snapshot.root, fresh.snapshot.root, `${what}: the same tree as without a cache`);
    last = cached.snapshot.root;
  }

  // xattrs of a directory (its ctime changes with them)
  const posix = createPosixOps();
  await tick();
  await posix.writeXattr(join(src, 'd2'), 'user.haven.test', Buffer.from('v'));
  await settle();
  const withXattr = await backup(w, work);
  assert.notEqual(withXattr.snapshot.root, last, 'a directory xattr: a new tree');
  assert.equal(withXattr.snapshot.root, (await backup(w, work, ['--no-cache'])).snapshot.root, 'a directory xattr: the same tree as without a cache');

  // Excludes are part of a record's key: the records made without them never stand in.
  const excluded = await backup(w, work, ['--exclude', 'f1']);
  assert.equal(excluded.snapshot.root, (await backup(w, work, ['--exclude', 'f1', '--no-cache'])).snapshot.root, 'with an exclude');
  assert.notEqual(excluded.snapshot.root, withXattr.snapshot.root);
  const again = await backup(w, work);
  assert.equal(again.snapshot.root, withXattr.snapshot.root, 'without the exclude again: the tree before it');

  await restoreMatches(t, w, 'dirs', src, 'src');
});

test('a record naming a tree the appliance no longer has: the backup walks again without the cache', { timeout: 180_000 }, async (t) => {
  const w = await cliWorld(t, GC_TEST_ENV);
  const work = tempDir(t);
  const src = join(work, 'src');
  sourceTree(src);
  await settle();
  const first = await backup(w, work);
  // the snapshot is deleted and collected: its trees and chunks are gone, the records remain
  const dataArgs = ['--data', w.dataDir];
  const deleted = havend(['snapshot', 'delete', first.snapshot.id, ...dataArgs]);
  assert.equal(deleted.code, 0, deleted.stderr);
  for (let i = 0; i < 2; i++) {
    const g = havend(['gc', '--wait', '--json', ...dataArgs]);
    assert.equal(g.code, 0, g.stdout + g.stderr);
  }
  const run = await w.run(['backup', '--group', 'dirs', 'src', '--json'], { cwd: work });
  assert.equal(run.code, 3, `done with a warning: ${run.stdout}${run.stderr}`);
  const r = JSON.parse(run.stdout) as Backup;
  assert.deepEqual(r.warnings, ['the files cache named missing chunks; every file was read again']);
  assert.equal(r.snapshot.root, first.snapshot.root, 'the same files, the same tree');
  assert.equal(r.snapshot.stats.filesRead, 40);
  await restoreMatches(t, w, 'dirs', src, 'src');
  // and the records written after that commit serve the next backup
  const next = await backup(w, work);
  assert.equal(next.session.stats.hasQueried, 1);
  assert.equal(next.snapshot.root, first.snapshot.root);
});

test('a directory nested too deep is skipped with a warning, with records as without', { timeout: 120_000 }, async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  // 1,030 levels under src (the appliance takes 1,024), a file at every hundredth
  let dir = join(work, 'src');
  for (let depth = 1; depth <= 1030; depth++) {
    dir = join(dir, 'd');
    mkdirSync(dir, { recursive: true });
    if (depth % 100 === 0) writeFileSync(join(dir, 'f'), `depth ${depth}`);
  }
  const deep = 'nested deeper than 1024 directories; skipped';
  const runs: Backup[] = [];
  for (const extra of [[], [], ['--no-cache']]) {
    const r = await w.run(['backup', '--group', 'deep', 'src', '--json', ...extra], { cwd: work });
    assert.equal(r.code, 3, `done with a warning: ${r.stderr}`);
    const b = JSON.parse(r.stdout) as Backup;
    assert.equal(b.warnings.length, 1);
    assert.ok(b.warnings[0]?.endsWith(deep), b.warnings[0]);
    runs.push(b);
  }
  const [first, again, fresh] = runs as [Backup, Backup, Backup];
  assert.equal(again.snapshot.root, first.snapshot.root);
  assert.equal(fresh.snapshot.root, first.snapshot.root);
  assert.equal(again.snapshot.stats.files, 10);
});

test('files under directories found unchanged keep their files-cache entries (the cache prunes what a run did not meet)', { timeout: 120_000 }, async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  // more files than the prune's slack (1,000), so a run that met none of them would drop them all
  for (let d = 0; d < 6; d++) {
    mkdirSync(join(src, `d${d}`), { recursive: true });
    for (let i = 0; i < 250; i++) writeFileSync(join(src, `d${d}`, `f${i}`), `${d}/${i}`);
  }
  await settle();
  const first = await backup(w, work);
  assert.equal(first.snapshot.stats.filesRead, 1500);
  const unchanged = await backup(w, work);
  assert.equal(unchanged.session.stats.hasQueried, 1, 'every directory from its record');
  // No previous snapshot to stand in for the files cache (its objects stay until a GC).
  for (const id of [first.snapshot.id, unchanged.snapshot.id]) {
    const deleted = havend(['snapshot', 'delete', id, '--data', w.dataDir]);
    assert.equal(deleted.code, 0, deleted.stderr);
  }
  // now a new name in each directory: no record stands, every file is looked up in the files cache
  await tick();
  for (let d = 0; d < 6; d++) writeFileSync(join(src, `d${d}`, 'new'), 'new');
  await settle();
  const changed = await backup(w, work);
  assert.equal(changed.snapshot.stats.filesRead, 6, 'only the new files are read');
  assert.equal(changed.snapshot.stats.filesCached, 1500);
});
