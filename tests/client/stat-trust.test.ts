// When a backup may trust a file's stat to skip reading it (client/src/backup/settled.ts):
//
// - A file rewritten at the same size within its file system's timestamp granularity of the
//   backup's look at it keeps its size, mtime and ctime. Shown on a real ext4 with 128-byte
//   inodes (whole-second timestamps): the next backup must read it again, not keep the first
//   version from the files cache (nor from the previous snapshot, without one). Until its
//   ctime has settled the file is read every time; afterwards the files cache serves it again.
// - A file that changes while a worker reads it is backed up as read, with a warning, and
//   the backup ends with the warnings exit code; the next backup reads it again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupRun, type BackupOutcome } from '../../client/src/backup/backup-run.js';
import { startContentPool } from '../../client/src/backup/content-pool.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { addonOrFallback } from '../../core/src/native/addon.js';
import { cliWorld, type CliWorld } from '../helpers/haven-cli.js';
import { mountedExt4 } from '../helpers/loop.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';
import { seededBytes } from '../helpers/real-data.js';
import { settle } from '../helpers/settle.js';
import { tempDir } from '../helpers/tmp.js';

/** A backup of `src` in this process (no CLI start-up: the first case must fit in one second). */
function backupIn(w: CliWorld, src: string, cacheDir: string): Promise<BackupOutcome> {
  return new BackupRun({ group: 'trust', paths: [src], tags: [], excludes: [], host: 'test' }, {
    api: w.daemon.client(w.token), connection: { server: w.daemon.url, token: w.token }, cacheDir, workers: 1, zstdLevel: 3,
    posix: createPosixOps(), addon: addonOrFallback(), aheadFiles: 64,
  }).run();
}

/** Resolves just after the wall clock enters its next second. */
function nextSecond(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}

test('a file rewritten within its timestamp granularity of the backup is read again by the next one (ext4, whole seconds)', { timeout: 120_000 }, async (t) => {
  if (!needRoot(t, 'a loop-mounted ext4') || !need(t, hasCommand('mkfs.ext4'), 'e2fsprogs (mkfs.ext4) is missing')) return;
  const w = await cliWorld(t);
  const mnt = mountedExt4(t, tempDir(t), 64 << 20, () => undefined, ['-I', '128']);
  const src = join(mnt, 'src');
  mkdirSync(src);
  const file = join(src, 'f');
  writeFileSync(join(src, 'steady'), 'written long before');
  const cacheDir = tempDir(t);
  await settle();
  // The first version, a backup and the second version must fall within one second; a second
  // boundary between them spoils the attempt (the ctime moves), and it is tried again.
  for (let attempt = 0; attempt < 6; attempt++) {
    await nextSecond();
    writeFileSync(file, `first version, attempt ${attempt}`);
    const looked = statSync(file, { bigint: true });
    const first = await backupIn(w, src, cacheDir);
    writeFileSync(file, `other version, attempt ${attempt}`);
    const now = statSync(file, { bigint: true });
    if (now.ctimeNs !== looked.ctimeNs || now.mtimeNs !== looked.mtimeNs) {
      t.diagnostic(`attempt ${attempt}: a second boundary fell between the two versions; again`);
      continue;
    }
    assert.equal(now.size, looked.size, 'the two versions have one size: only the content tells them apart');
    assert.equal(first.stats.filesRead, attempt === 0 ? 2 : 1, 'the first backup reads the file (and, the first time, the settled one)');

    // without a files cache the previous snapshot stands in, with the same rule against its time
    const viaPrevious = await backupIn(w, src, tempDir(t));
    assert.equal(viaPrevious.stats.filesRead, 1, 'the previous snapshot does not vouch for the rewritten file');
    assert.equal(viaPrevious.stats.filesCached, 1, 'it does for the settled one');

    const second = await backupIn(w, src, cacheDir);
    assert.equal(second.stats.filesRead, 1, 'the rewritten file is read again, its stat notwithstanding');
    assert.equal(second.stats.filesCached, 1, 'the settled file comes from the files cache');
    const restored = tempDir(t);
    await w.json(['restore', second.snapshot.id, '--target', restored]);
    assert.equal(readFileSync(join(restored, src.slice(1), 'f'), 'utf8'), `other version, attempt ${attempt}`, 'the second version is in the second snapshot');

    // once its ctime has settled, the file is recorded, and the backup after that skips it
    await settle();
    const third = await backupIn(w, src, cacheDir);
    assert.equal(third.stats.filesRead, 1, 'read once more: the run that records it');
    const fourth = await backupIn(w, src, cacheDir);
    assert.equal(fourth.stats.filesRead, 0, 'then served by the files cache');
    return;
  }
  assert.fail('no attempt fitted the two versions and a backup into one second');
});

test('a file changing while it is read is backed up as read, with a warning, and read again next time', { timeout: 120_000 }, async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(src);
  const big = join(src, 'big');
  writeFileSync(big, seededBytes(48 << 20, 'changing'));
  writeFileSync(join(src, 'steady'), 'not touched');
  await settle();
  // A writer rewriting the first bytes as fast as it can (the size stays): every read of the
  // file overlaps some of its writes. Bounded: the test kills it, and it stops by itself.
  const writer = spawn(process.execPath, ['-e', `
    const fs = require('node:fs'); const fd = fs.openSync(process.argv[1], 'r+'); const end = Date.now() + 60000;
    for (let i = 0; Date.now() < end; i++) fs.writeSync(fd, String(i % 10), 0);
  `, big], { stdio: 'ignore' });
  t.after(() => writer.kill('SIGKILL'));
  await new Promise((resolve) => setTimeout(resolve, 100));

  const r = await w.run(['backup', '--group', 'changing', 'src', '--json'], { cwd: work });
  writer.kill('SIGKILL');
  assert.equal(r.code, 3, `done with a warning: ${r.stdout}${r.stderr}`);
  const out = JSON.parse(r.stdout) as { warnings: string[]; snapshot: { stats: Record<string, number> } };
  assert.equal(out.warnings.length, 1, out.warnings.join('\n'));
  assert.match(out.warnings[0] as string, /src\/big: changed while it was read/);
  assert.equal(out.snapshot.stats.warnings, 1);

  await settle();
  const next = await w.json<{ warnings: string[]; snapshot: { id: string; stats: Record<string, number> } }>(['backup', '--group', 'changing', 'src'], { cwd: work });
  assert.deepEqual(next.warnings, []);
  assert.equal(next.snapshot.stats.filesRead, 1, 'the file that changed is read again; the other is not');
  const restored = tempDir(t);
  await w.json(['restore', next.snapshot.id, '--target', restored]);
  assert.ok(readFileSync(join(restored, 'src', 'big')).equals(readFileSync(big)), 'the file as it is now');
});

test('the content worker compares the file after its read with the walk\'s stat', async (t) => {
  const w = await cliWorld(t);
  const path = join(tempDir(t), 'f');
  writeFileSync(path, seededBytes(100_000, 'stat'));
  const st = statSync(path, { bigint: true });
  const session = await w.daemon.client(w.token).startBackup({ group: 'worker' });
  const pool = startContentPool(1, {
    connection: { server: w.daemon.url, token: w.token }, session: session.session, chunker: session.chunker, level: 3, maxHasDigests: 1024,
  });
  t.after(() => pool.close());
  const walked = { path, size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
  const results = await pool.submit({ id: 1, files: [walked, { ...walked, mtimeNs: st.mtimeNs - 1n }, { ...walked, ctimeNs: st.ctimeNs + 1n }, { ...walked, size: 99_999 }] });
  assert.deepEqual(results.map((r) => [r.bytes, r.changed ?? false]), [[100_000, false], [100_000, true], [100_000, true], [100_000, true]]);
});
