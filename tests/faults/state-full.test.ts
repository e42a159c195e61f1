// ENOSPC on the state directory (issue 17's fault matrix): the state (LMDB state database:
// tokens, tasks, alerts, sizes, accounts) lives on a small loop-mounted ext4, the datastore
// elsewhere. With the state file system filled to the last block, the state database's
// writes fail; a backup still commits (sessions and snapshots live in the datastore), the
// daemon stays up and logs why, the committed snapshots restore bit-exact, and once space is
// freed the state writes work again. Found by this test: an LMDB write nobody awaited (a
// task's progress) ended the daemon with an unhandled rejection (state-db.ts, serve.ts).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { createToken, havend, startDaemon, type Daemon } from '../helpers/daemon.js';
import { haven } from '../helpers/haven-cli.js';
import { attachLoop, sparseFile } from '../helpers/loop.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSameTree, describeTree } from '../helpers/tree-compare.js';

const MiB = 1024 * 1024;
const FS_BYTES = 48 * MiB;

/** Writes `path` until the file system refuses (ENOSPC), down to single blocks; answers the bytes written. */
function fillUp(path: string): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (let piece = MiB; piece >= 4096; piece /= 4) {
      const buf = Buffer.alloc(piece, 1);
      for (;;) {
        try {
          written += writeSync(fd, buf);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

test('a full state directory: backups still commit, the daemon stays up, nothing is lost, state writes work again once space is freed', { timeout: 240_000 }, async (t) => {
  if (!needRoot(t, 'a loop-mounted ext4') || !need(t, hasCommand('mkfs.ext4'), 'e2fsprogs (mkfs.ext4) is missing')) return;
  const lab = tempDir(t, 'haven-state-full-');
  const dev = attachLoop(t, sparseFile(join(lab, 'state.img'), FS_BYTES));
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', dev]);
  const mnt = mkdtempSync(join(tmpdir(), 'haven-state-mnt-'));
  execFileSync('mount', [dev, mnt]);
  let daemon: Daemon | null = null;
  t.after(async () => {
    await daemon?.stop();
    execFileSync('umount', [mnt]);
    rmdirSync(mnt);
  });
  const dataDir = join(mnt, 'state');
  const env = { HAVEND_DATASTORE_PATH: join(lab, 'datastore'), HAVEND_DATASTORE_DIRECT_IO: 'false' };
  const token = createToken(dataDir, 'admin');
  daemon = await startDaemon(null, { dataDir, env });
  const home = join(lab, 'home');
  const clientEnv = () => ({ HAVEN_SERVER: (daemon as Daemon).url, HAVEN_TOKEN: token, HAVEN_CACHE_DIR: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config'), HOME: home });
  const posix = createPosixOps();
  const generation = (name: string): string => {
    const dir = join(lab, name);
    mkdirSync(dir);
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `part-${i}.bin`), seededBytes(MiB, `${name}-${i}`));
    return dir;
  };
  const backup = (name: string) => haven(['backup', '--group', 'docs', name, '--json'], { cwd: lab, env: clientEnv(), timeoutMs: 60_000 });
  const restoresExactly = async (id: string, name: string): Promise<void> => {
    const target = join(lab, `restore-${name}-${Date.now()}`);
    const r = await haven(['restore', id, '--target', target, '--json'], { env: clientEnv(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, `haven restore ${id}: ${r.stderr}`);
    assertSameTree(await describeTree(join(target, name), posix), await describeTree(join(lab, name), posix), `snapshot ${id}`);
    rmSync(target, { recursive: true });
  };

  generation('gen-0');
  const first = await backup('gen-0');
  assert.equal(first.code, 0, first.stderr);
  const kept = (JSON.parse(first.stdout) as { snapshot: { id: string } }).snapshot.id;

  const filler = join(mnt, 'filler');
  t.diagnostic(`filled the state file system with ${fillUp(filler)} bytes`);
  generation('gen-1');
  const during = await backup('gen-1');
  assert.equal(during.code, 0, `a backup commits while the state file system is full: ${during.stderr}`);
  const id = (JSON.parse(during.stdout) as { snapshot: { id: string } }).snapshot.id;
  assert.equal(daemon.proc.exitCode, null, `the daemon is up:\n${daemon.output()}`);
  // The log line may still be on its way through the pipe (a CI run caught it half written).
  const says = /a state database write failed \(is the state directory's file system full\?\)/;
  for (let i = 0; i < 50 && !says.test(daemon.output()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(daemon.output(), says, 'the daemon says why its state writes fail');
  await restoresExactly(kept, 'gen-0');

  rmSync(filler);
  const token2 = havend(['token', 'create', '--data', dataDir, '--scope', 'backup:docs'], env);
  assert.equal(token2.code, 0, `state writes work again once space is freed: ${token2.stderr}`);
  await restoresExactly(id, 'gen-1');
  assert.equal(daemon.proc.exitCode, null, 'the daemon is up');
  await daemon.stop();
  const check = havend(['store', 'check', '--data', dataDir, '--json'], env);
  assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
});
