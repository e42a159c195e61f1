// A lab for pool system tests (root): loop disks over sparse files in one temp directory,
// havend processes on it, and one cleanup that undoes everything in the right order, pass or
// fail: stop the daemons, cancel scrubs and replaces, unmount whatever is mounted under the
// directory, make the kernel forget our btrfs devices, lift I/O throttles, drop partitions
// and detach our loop devices (only those whose backing file is ours), remove the directory.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { sparseFile } from './loop.js';
import { startDaemon, type Daemon, type DaemonOptions } from './daemon.js';

const BLKIO = '/sys/fs/cgroup/blkio';
const CGROUP2_ROOTS = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'];

export interface LoopDisk {
  file: string;
  dev: string;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function trySh(cmd: string, args: string[]): string | null {
  try {
    return sh(cmd, args);
  } catch {
    return null;
  }
}

/** Loop devices attached to files under `dir` (the kernel appends " (deleted)" once a file is gone). */
export function loopsUnder(dir: string): LoopDisk[] {
  const out = trySh('losetup', ['--noheadings', '--raw', '--output', 'NAME,BACK-FILE']) ?? '';
  return out.split('\n').map((l) => {
    const i = l.indexOf(' ');
    return { dev: l.slice(0, i), file: l.slice(i + 1).replace(/ \(deleted\)$/, '') };
  }).filter((l) => l.dev.startsWith('/dev/loop') && l.file.startsWith(`${dir}/`));
}

/** How writes to a device are throttled here: cgroup v1 blkio (hybrid hierarchy) or v2 io.max. */
export type Throttle = { kind: 'blkio-v1' } | { kind: 'io-v2'; root: string };

export function throttleSupport(): Throttle | null {
  if (existsSync(join(BLKIO, 'blkio.throttle.write_bps_device'))) return { kind: 'blkio-v1' };
  for (const root of CGROUP2_ROOTS) {
    try {
      if (readFileSync(join(root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('io')) return { kind: 'io-v2', root };
    } catch {
      // not a cgroup2 mount
    }
  }
  return null;
}

export class PoolLab {
  readonly dir: string;
  private readonly daemons: Daemon[] = [];
  private readonly throttled: Array<() => void> = [];
  private count = 0;

  constructor(t: TestContext, prefix = 'haven-pool-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    t.after(() => this.cleanup());
  }

  /** A sparse file of `bytes` attached to a free loop device. */
  disk(name: string, bytes = 512 * 1024 * 1024): LoopDisk {
    const file = sparseFile(join(this.dir, `${name}.img`), bytes);
    const dev = sh('losetup', ['--find', '--show', file]).trim();
    return { file, dev };
  }

  detach(d: LoopDisk): void {
    sh('losetup', ['--detach', d.dev]);
  }

  /** Re-attaches a detached disk file (most likely under another loopN). */
  reattach(d: LoopDisk): LoopDisk {
    return { file: d.file, dev: sh('losetup', ['--find', '--show', d.file]).trim() };
  }

  /** A havend stopped by the lab's cleanup before anything is unmounted. */
  async daemon(options: DaemonOptions): Promise<Daemon> {
    const d = await startDaemon(null, options);
    this.daemons.push(d);
    if (this.cgroup) writeFileSync(join(this.cgroup, 'cgroup.procs'), String(d.proc.pid));
    return d;
  }

  private cgroup: string | null = null;

  /**
   * Limits writes to `dev` to `bytesPerSecond`. cgroup v1 blkio limits the device for every
   * writer; with only cgroup v2, havend processes started after this go into a child cgroup
   * with io.max (and the btrfs-progs they start, which issue the replace, inherit it).
   */
  throttleWrites(dev: string, bytesPerSecond: number, how: Throttle): void {
    const majMin = sh('lsblk', ['--nodeps', '--noheadings', '--output', 'MAJ:MIN', dev]).trim();
    if (how.kind === 'blkio-v1') {
      const file = join(BLKIO, 'blkio.throttle.write_bps_device');
      writeFileSync(file, `${majMin} ${bytesPerSecond}`);
      this.throttled.push(() => writeFileSync(file, `${majMin} 0`));
      return;
    }
    if (!this.cgroup) {
      const cg = join(how.root, `haven-test-${process.pid}-${++this.count}`);
      try {
        writeFileSync(join(how.root, 'cgroup.subtree_control'), '+io');
      } catch {
        // already enabled, or the io.max write below says why not
      }
      mkdirSync(cg, { recursive: true });
      this.cgroup = cg;
      this.throttled.push(() => {
        try {
          for (const pid of readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) writeFileSync(join(how.root, 'cgroup.procs'), pid);
        } catch {
          // its processes are gone with their daemon
        }
        trySh('rmdir', [cg]);
      });
    }
    writeFileSync(join(this.cgroup, 'io.max'), `${majMin} wbps=${bytesPerSecond}`);
  }

  /** Lifts every throttle now (the cleanup does it too). */
  unthrottle(): void {
    for (const undo of this.throttled.splice(0).reverse()) {
      try {
        undo();
      } catch {
        // the device may be gone already
      }
    }
    this.cgroup = null;
  }

  private mountsUnder(): string[] {
    const out = trySh('findmnt', ['--raw', '--noheadings', '--output', 'TARGET']) ?? '';
    return out.split('\n').map((l) => l.replace(/\\x20/g, ' ')).filter((m) => m.startsWith(`${this.dir}/`)).sort().reverse();
  }

  async cleanup(): Promise<void> {
    for (const d of this.daemons.splice(0)) await d.stop().catch(() => undefined);
    this.unthrottle();
    for (const m of this.mountsUnder()) {
      trySh('btrfs', ['replace', 'cancel', m]);
      trySh('btrfs', ['scrub', 'cancel', m]);
      for (let i = 0; i < 20 && trySh('umount', [m]) === null; i++) await new Promise((r) => setTimeout(r, 250));
    }
    for (const l of loopsUnder(this.dir)) {
      trySh('btrfs', ['device', 'scan', '--forget', l.dev]);
      // Partitions added with partx outlive the loop device otherwise (stale nodes).
      trySh('partx', ['--delete', l.dev]);
      trySh('losetup', ['--detach', l.dev]);
    }
    const left = this.mountsUnder();
    // Never delete through a mount that would not go away.
    if (left.length === 0) rmSync(this.dir, { recursive: true, force: true });
    else throw new Error(`still mounted after cleanup: ${left.join(', ')}`);
  }
}
