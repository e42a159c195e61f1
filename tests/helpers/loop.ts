// Loop devices for system tests: attached over a sparse file in a temp directory and always
// detached when the test ends, pass or fail.

import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export function sparseFile(path: string, bytes: number): string {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Attaches `file` to a free loop device; returns /dev/loopN. Detached at the end of the test. */
export function attachLoop(t: TestContext, file: string): string {
  const dev = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
  t.after(() => detachLoop(dev, file));
  return dev;
}

/** Detaches `dev` if it is still attached to `file` (never someone else's device). */
export function detachLoop(dev: string, file: string): void {
  try {
    // The temp directory may already be gone (after-hooks run in order): the kernel then
    // reports the backing file with a " (deleted)" suffix.
    const out = execFileSync('losetup', ['--noheadings', '--output', 'BACK-FILE', dev], { encoding: 'utf8' }).trim().replace(/ \(deleted\)$/, '');
    if (out === file) execFileSync('losetup', ['--detach', dev]);
  } catch {
    // already detached
  }
}

/**
 * A fresh ext4 of `bytes` (no blocks reserved for root: havend runs as root, and a test wants
 * one limit, its own) on a loop device over a sparse file in `dir`, mounted on a new temporary
 * directory, which is returned. `mkfsArgs` go to mkfs.ext4 (`-I 128`: timestamps in whole
 * seconds). At the end of the test `beforeUnmount` runs first (whatever still writes there, a
 * daemon, stops), then the file system is unmounted.
 */
export function mountedExt4(t: TestContext, dir: string, bytes: number, beforeUnmount: () => Promise<unknown> | void = () => undefined, mkfsArgs: readonly string[] = []): string {
  const dev = attachLoop(t, sparseFile(join(dir, 'ext4.img'), bytes));
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', ...mkfsArgs, dev], { stdio: ['ignore', 'ignore', 'pipe'] });
  const mnt = mkdtempSync(join(tmpdir(), 'haven-ext4-'));
  execFileSync('mount', [dev, mnt]);
  t.after(async () => {
    await beforeUnmount();
    execFileSync('umount', [mnt]);
    rmdirSync(mnt);
  });
  return mnt;
}
