// What Node 20 lacks for exact metadata (DESIGN section 1): xattrs, fifos and device nodes,
// nanosecond timestamps. Native calls when the addon is built; otherwise the same effects
// through commands (setfattr/getfattr from `attr`, mkfifo, mknod, touch -d @s.ns), run
// through the exec seam with argument arrays.

import { addonOrFallback, type HavenAddon, type NativePath } from '../../../core/src/native/addon.js';
import { SystemCommandRunner, describeFailure, type CommandRunner, type RunResult } from '../../../core/src/exec/runner.js';

export type Xattrs = Array<[string, Buffer]>;

const NS = 1_000_000_000n;

export interface PosixOps {
  readonly native: boolean;
  /** The path's own extended attributes (a symlink's, not its target's); [] where unsupported. */
  readXattrs(path: NativePath): Promise<Xattrs>;
  writeXattr(path: NativePath, name: string, value: Uint8Array): Promise<void>;
  mkfifo(path: NativePath, mode: number): Promise<void>;
  /** `type` is 'chardev' or 'blockdev'; `rdev` as fs.Stats reports it. */
  mknod(path: NativePath, type: 'chardev' | 'blockdev', mode: number, rdev: number): Promise<void>;
  /** Sets atime and mtime to `mtimeNs`, on a symlink itself when `noFollow`. */
  setTimes(path: NativePath, mtimeNs: bigint, noFollow: boolean): Promise<void>;
  /** The same for an open regular file (`path` names it for the fallback and for errors). */
  setFdTimes(fd: number, path: NativePath, mtimeNs: bigint): Promise<void>;
}

/** timespec wants floor seconds and 0 <= nsec < 1e9, also before 1970. */
export function timespec(ns: bigint): [number, number] {
  let sec = ns / NS;
  let nsec = ns % NS;
  if (nsec < 0n) {
    nsec += NS;
    sec -= 1n;
  }
  return [Number(sec), Number(nsec)];
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

export class NativePosixOps implements PosixOps {
  readonly native = true;
  constructor(private readonly addon: HavenAddon) {}

  async readXattrs(path: NativePath): Promise<Xattrs> {
    return this.addon.readXattrs(path);
  }
  async writeXattr(path: NativePath, name: string, value: Uint8Array): Promise<void> {
    this.addon.writeXattr(path, name, value);
  }
  async mkfifo(path: NativePath, mode: number): Promise<void> {
    this.addon.mkfifo(path, mode);
  }
  async mknod(path: NativePath, type: 'chardev' | 'blockdev', mode: number, rdev: number): Promise<void> {
    this.addon.mknod(path, (type === 'chardev' ? S_IFCHR : S_IFBLK) | (mode & 0o7777), rdev);
  }
  async setTimes(path: NativePath, mtimeNs: bigint, noFollow: boolean): Promise<void> {
    const [sec, nsec] = timespec(mtimeNs);
    this.addon.utimensat(path, sec, nsec, sec, nsec, noFollow);
  }
  async setFdTimes(fd: number, _path: NativePath, mtimeNs: bigint): Promise<void> {
    const [sec, nsec] = timespec(mtimeNs);
    this.addon.futimens(fd, sec, nsec, sec, nsec);
  }
}

/** glibc's dev_t encoding, as fs.Stats.rdev reports it. */
export function splitDevice(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

function textPath(path: NativePath): string {
  if (typeof path === 'string') return path;
  const s = path.toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(path)) throw new Error(`path is not UTF-8 and the native addon is missing: ${s}`);
  return s;
}

export class CommandPosixOps implements PosixOps {
  readonly native = false;
  constructor(private readonly runner: CommandRunner = new SystemCommandRunner()) {}

  private async run(cmd: string, args: string[]): Promise<RunResult> {
    const r = await this.runner.run(cmd, args, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(describeFailure(r));
    return r;
  }

  async readXattrs(path: NativePath): Promise<Xattrs> {
    const r = await this.runner.run('getfattr', ['--absolute-names', '-h', '-d', '-m', '-', '-e', 'hex', '--', textPath(path)], { timeoutMs: 30_000 });
    if (r.code !== 0) {
      if (/not supported/i.test(r.stderr)) return [];
      throw new Error(describeFailure(r));
    }
    const out: Xattrs = [];
    for (const line of r.stdout.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const eq = line.indexOf('=');
      const name = eq < 0 ? line : line.slice(0, eq);
      const value = eq < 0 ? '' : line.slice(eq + 1);
      if (value !== '' && !/^0x[0-9a-f]*$/i.test(value)) throw new Error(`getfattr: unexpected value for ${name}`);
      out.push([name, Buffer.from(value.slice(2), 'hex')]);
    }
    return out;
  }

  async writeXattr(path: NativePath, name: string, value: Uint8Array): Promise<void> {
    await this.run('setfattr', ['-h', '-n', name, '-v', `0x${Buffer.from(value).toString('hex')}`, '--', textPath(path)]);
  }

  async mkfifo(path: NativePath, mode: number): Promise<void> {
    await this.run('mkfifo', ['-m', (mode & 0o7777).toString(8), '--', textPath(path)]);
  }

  async mknod(path: NativePath, type: 'chardev' | 'blockdev', mode: number, rdev: number): Promise<void> {
    const { major, minor } = splitDevice(rdev);
    await this.run('mknod', ['-m', (mode & 0o7777).toString(8), '--', textPath(path), type === 'chardev' ? 'c' : 'b', String(major), String(minor)]);
  }

  async setTimes(path: NativePath, mtimeNs: bigint, noFollow: boolean): Promise<void> {
    const neg = mtimeNs < 0n;
    const abs = neg ? -mtimeNs : mtimeNs;
    // touch takes @seconds.fraction; a negative time is written as -S.F meaning -(S.F).
    const stamp = `@${neg ? '-' : ''}${abs / NS}.${(abs % NS).toString().padStart(9, '0')}`;
    await this.run('touch', [...(noFollow ? ['-h'] : []), '-d', stamp, '--', textPath(path)]);
  }

  async setFdTimes(_fd: number, path: NativePath, mtimeNs: bigint): Promise<void> {
    await this.setTimes(path, mtimeNs, true);
  }
}

/** The native operations when the addon is built, else the command fallbacks (with the loader's notice). */
export function createPosixOps(): PosixOps {
  const addon = addonOrFallback();
  return addon ? new NativePosixOps(addon) : new CommandPosixOps();
}
