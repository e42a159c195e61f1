// A throw-away Debian root for package tests: debootstrap from Debian's archive into a
// temporary directory, /proc, /sys and /dev mounted inside while the test runs. Cleanup
// unmounts first and removes the tree only when nothing is mounted below it, so a bind
// mount can never lead rm into the host's /dev.
//
// The package tests share one debootstrap per test run: the first to ask makes it (under a
// lock, so a test running beside it waits instead of fetching the archive again) and leaves
// a tarball of it; every test unpacks its own copy, so what one installs the other never sees.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
export const DEBIAN_SUITE = 'bookworm';
/**
 * What the shared root holds beyond debootstrap's minimal base: the appliance package's
 * dependencies apart from haven-client (the client's own are all in the base) and systemd,
 * whose systemd-analyze checks the units.
 */
export const DEBIAN_ROOT_PACKAGES = ['ca-certificates', 'openssl', 'smartmontools', 'btrfs-progs', 'ledmon', 'systemd'];

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

// The test runner (node --test) is every test file's parent: its pid names this run's tarball.
const CACHE_PREFIX = `haven-debian-${DEBIAN_SUITE}-run`;
const SHARED_ROOT = `
set -eu
cache=$1 root=$2
if [ -e "$cache" ]; then
  tar -C "$root" --zstd -xpf "$cache"
else
  debootstrap --variant=minbase --include="$3" "$4" "$root" "$5"
  tar -C "$root" --zstd -cpf "$cache.part" .
  mv "$cache.part" "$cache"
fi
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Tarballs of earlier test runs (whose runner has exited). */
function removeStaleRoots(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = new RegExp(`^${CACHE_PREFIX}(\\d+)\\.tar\\.zst`).exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.ppid && !alive(Number(pid))) rmSync(join(tmpdir(), name), { force: true });
  }
}

/**
 * A fresh Debian 12 root (minimal base and DEBIAN_ROOT_PACKAGES) in `root`, made once per test
 * run and unpacked for every test, with the API file systems mounted.
 */
export async function debianRoot(root: string, timeoutMs: number): Promise<void> {
  removeStaleRoots();
  const cache = join(tmpdir(), `${CACHE_PREFIX}${process.ppid}.tar.zst`);
  mkdirSync(root, { recursive: true });
  await runBounded('flock', [`${cache}.lock`, 'sh', '-c', SHARED_ROOT, 'sh', cache, root, DEBIAN_ROOT_PACKAGES.join(','), DEBIAN_SUITE, DEBIAN_MIRROR], timeoutMs);
  execFileSync('mount', ['-t', 'proc', 'proc', join(root, 'proc')]);
  execFileSync('mount', ['-t', 'sysfs', 'sysfs', join(root, 'sys')]);
  execFileSync('mount', ['--bind', '/dev', join(root, 'dev')]);
}

/** The environment commands get inside the root: nothing of the test runner's. */
export function chrootEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', ...extra };
}
