// What the kernel says about block devices and mounts, read from /proc and /sys (no command,
// no udev): the mount table, swap areas, holders (dm/md), partitions, the devices of every
// mounted btrfs filesystem, and the command lines of running processes. The wipe executor,
// the pool and the swap read it through KernelView; the root is a parameter so a test can
// point it at a fixture tree.

import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseErrorStats } from './btrfs-output.js';
import type { BtrfsDevinfo, KernelView, MountEntry, RunningProcess } from './kernel-view.js';

/** Whether a mounted btrfs was mounted with `-o degraded`. */
export function mountedDegraded(m: MountEntry): boolean {
  return m.superOptions.split(',').includes('degraded');
}

/** Octal escapes in mountinfo fields (`\040` is a space). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const r = right.split(' ');
    if (f.length < 6 || r.length < 3) continue;
    out.push({
      majMin: f[2] as string, mountPoint: unescape(f[4] as string), options: f[5] as string,
      fsType: r[0] as string, source: unescape(r[1] as string), superOptions: r[2] as string,
    });
  }
  return out;
}

export class KernelState implements KernelView {
  private readonly proc: string;
  private readonly sys: string;

  /** `root` is where /proc, /sys and /dev are: '/' on the machine, a fixture tree in tests. */
  constructor(private readonly root = '/') {
    this.proc = join(root, 'proc');
    this.sys = join(root, 'sys');
  }

  mounts(): MountEntry[] {
    try {
      return parseMountinfo(readFileSync(join(this.proc, 'self', 'mountinfo'), 'utf8'));
    } catch {
      return [];
    }
  }

  /** The mount whose mount point is exactly `path`, the last one if stacked. */
  mountAt(path: string): MountEntry | null {
    return this.mounts().filter((m) => m.mountPoint === path).pop() ?? null;
  }

  /** The mount holding `path` (longest mount-point prefix). */
  mountHolding(path: string): MountEntry | null {
    let best: MountEntry | null = null;
    for (const m of this.mounts()) {
      const prefix = m.mountPoint.endsWith('/') ? m.mountPoint : `${m.mountPoint}/`;
      if ((path === m.mountPoint || path.startsWith(prefix)) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
    }
    return best;
  }

  swapDevices(): string[] {
    try {
      return readFileSync(join(this.proc, 'swaps'), 'utf8').split('\n').slice(1).map((l) => l.split(/\s+/)[0] ?? '').filter((s) => s.startsWith('/'));
    } catch {
      return [];
    }
  }

  resolveDevice(path: string): string | null {
    // Mount sources such as `tmpfs` or `overlay` are not paths: nothing to resolve.
    if (!path.startsWith('/')) return null;
    try {
      const real = realpathSync(join(this.root, path));
      return this.root === '/' ? real : `/${relative(this.root, real)}`;
    } catch {
      return null;
    }
  }

  /** The kernel name of a device node (/dev/loop3 -> loop3), following symlinks. */
  kernelName(devicePath: string): string | null {
    const real = this.resolveDevice(devicePath);
    if (real === null) return null;
    const name = basename(real);
    return existsSync(join(this.sys, 'class', 'block', name)) ? name : null;
  }

  /**
   * Every block device and partition that could hold a filesystem: /sys/class/block without
   * ram, zram and detached loop devices (size 0). What is probed for a pool's members.
   */
  blockDevicePaths(): string[] {
    let names: string[] = [];
    try {
      names = readdirSync(join(this.sys, 'class', 'block'));
    } catch {
      return [];
    }
    return names.filter((n) => !/^(ram|zram)\d/.test(n) && this.sizeOf(n) > 0).sort().map((n) => `/dev/${n}`);
  }

  private sizeOf(name: string): number {
    try {
      return Number(readFileSync(join(this.sys, 'class', 'block', name, 'size'), 'utf8').trim()) || 0;
    } catch {
      return 0;
    }
  }

  isPartition(name: string): boolean {
    return existsSync(join(this.sys, 'class', 'block', name, 'partition'));
  }

  partitions(name: string): string[] {
    try {
      return readdirSync(join(this.sys, 'block', name)).filter((n) => existsSync(join(this.sys, 'block', name, n, 'partition')));
    } catch {
      return [];
    }
  }

  majMin(name: string): string | null {
    try {
      return readFileSync(join(this.sys, 'class', 'block', name, 'dev'), 'utf8').trim();
    } catch {
      return null;
    }
  }

  holders(name: string): string[] {
    try {
      return readdirSync(join(this.sys, 'class', 'block', name, 'holders'));
    } catch {
      return [];
    }
  }

  /** fsid -> kernel names of the devices of every mounted btrfs filesystem. */
  btrfsMembers(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const root = join(this.sys, 'fs', 'btrfs');
    let ids: string[] = [];
    try {
      ids = readdirSync(root).filter((n) => /^[0-9a-f-]{36}$/.test(n));
    } catch {
      return out;
    }
    for (const id of ids) {
      try {
        out.set(id, readdirSync(join(root, id, 'devices')));
      } catch {
        out.set(id, []);
      }
    }
    return out;
  }

  /** True while a btrfs filesystem with this fsid is mounted (sysfs has its directory). */
  btrfsMounted(uuid: string): boolean {
    return existsSync(join(this.sys, 'fs', 'btrfs', uuid));
  }

  /** Per-devid state of a mounted btrfs filesystem: missing, error counters. */
  btrfsDevinfo(uuid: string): BtrfsDevinfo[] {
    const dir = join(this.sys, 'fs', 'btrfs', uuid, 'devinfo');
    let ids: string[] = [];
    try {
      ids = readdirSync(dir).filter((n) => /^\d+$/.test(n));
    } catch {
      return [];
    }
    return ids.map((id) => {
      const read = (f: string): string => {
        try {
          return readFileSync(join(dir, id, f), 'utf8');
        } catch {
          return '';
        }
      };
      return { devid: Number(id), missing: read('missing').trim() === '1', errors: parseErrorStats(read('error_stats')) };
    }).sort((a, b) => a.devid - b.devid);
  }

  processes(): RunningProcess[] {
    let pids: string[];
    try {
      pids = readdirSync(this.proc).filter((n) => /^\d+$/.test(n));
    } catch {
      return [];
    }
    const out: RunningProcess[] = [];
    for (const pid of pids) {
      try {
        const argv = readFileSync(join(this.proc, pid, 'cmdline'), 'utf8').split('\0');
        if (argv[argv.length - 1] === '') argv.pop();
        if (argv.length > 0) out.push({ pid: Number(pid), argv }); // kernel threads have none
      } catch {
        // it exited meanwhile
      }
    }
    return out;
  }
}
