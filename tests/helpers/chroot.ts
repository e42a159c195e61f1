// A throw-away Debian root for package tests: debootstrap from Debian's archive into a
// temporary directory, /proc, /sys and /dev mounted inside while the test runs. Cleanup
// unmounts first and removes the tree only when nothing is mounted below it, so a bind
// mount can never lead rm into the host's /dev.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** A temporary directory for a root tree; unmounts everything below it, then removes it. */
export function rootWorkDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'haven-debian-'));
  t.after(() => {
    for (const m of mountsBelow(dir)) {
      try {
        execFileSync('umount', ['-l', m]);
      } catch {
        // reported below if it is still mounted
      }
    }
    const left = mountsBelow(dir);
    if (left.length > 0) throw new Error(`still mounted, not removing ${dir}: ${left.join(', ')}`);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Runs a command with a time limit; rejects with its output on failure. */
export function runBounded(cmd: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} ${signal ? `killed (${signal}, limit ${timeoutMs} ms)` : `exit ${code}`}:\n${out.slice(-4000)}`));
    });
  });
}

/** debootstrap a minimal Debian `suite` with `include` packages into `root`, then mount the API file systems. */
export async function debootstrap(root: string, suite: string, include: string[], timeoutMs: number): Promise<void> {
  await runBounded('debootstrap', ['--variant=minbase', `--include=${include.join(',')}`, suite, root, DEBIAN_MIRROR], timeoutMs);
  execFileSync('mount', ['-t', 'proc', 'proc', join(root, 'proc')]);
  execFileSync('mount', ['-t', 'sysfs', 'sysfs', join(root, 'sys')]);
  execFileSync('mount', ['--bind', '/dev', join(root, 'dev')]);
}

/** The environment commands get inside the root: nothing of the test runner's. */
export function chrootEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', ...extra };
}
