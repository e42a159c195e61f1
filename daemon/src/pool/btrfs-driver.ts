// btrfs-progs (and mount, blkid) through the exec seam: argument arrays, timeouts, typed
// results. Every step used here is shown working on loop devices by ../shared/lab/btrfs-lab.sh.
// Long operations (scrub, replace) are started in the background by btrfs-progs itself
// (it daemonizes and closes our pipes) and followed with their status commands, so a daemon
// restart never interrupts them: the kernel keeps going and the next havend picks them up.

import { HavenError } from '../../../core/src/errors.js';
import { parseBlkidExport } from '../disks/discovery.js';
import { describeFailure, type CommandRunner, type RunResult } from '../../../core/src/exec/runner.js';
import type { BtrfsOps } from './btrfs-ops.js';
import {
  parseFilesystemShow, parseFilesystemUsage, parseReplaceStatus, parseScrubStatus,
  type FilesystemShow, type FilesystemUsage, type ReplaceStatus, type ScrubStatus,
} from './btrfs-output.js';

const SHORT = 60_000;
/** Device removal and balances move data: bounded only to catch a hung command. */
const LONG = 7 * 24 * 3600_000;

export class BtrfsDriver implements BtrfsOps {
  constructor(private readonly runner: CommandRunner, private readonly poolName: () => string) {}

  private async ok(command: string, args: string[], timeoutMs = SHORT): Promise<RunResult> {
    const r = await this.runner.run(command, args, { timeoutMs });
    if (r.code !== 0) throw this.failure(r);
    return r;
  }

  private failure(r: RunResult): HavenError {
    const text = `${r.stderr}\n${r.stdout}`;
    const below = /unable to go below (\w+) devices on (\w+)/.exec(text);
    if (below) {
      return new HavenError('POOL_BELOW_REDUNDANCY', { detail: `btrfs: unable to go below ${below[1]} devices`, profile: below[2] as string, min: below[1] as string });
    }
    if (/already (started|running)|in progress|exclusive operation/i.test(text)) {
      return new HavenError('POOL_BUSY', { name: this.poolName(), detail: describeFailure(r) });
    }
    return new HavenError('POOL_COMMAND_FAILED', { name: this.poolName(), detail: describeFailure(r) });
  }

  /**
   * The devices among `candidates` that carry this filesystem UUID, each probed on the device
   * itself (`blkid -p`): no blkid cache and no udev, both of which can be stale or absent
   * (`blkid -t UUID=` was seen to miss a member on a machine without udev).
   */
  async devicesOf(uuid: string, candidates: string[]): Promise<string[]> {
    // One device per run: given several, `blkid -p` stops at the first it cannot open (a
    // stale partition node, say) and says nothing of the rest.
    const found: string[] = [];
    for (let i = 0; i < candidates.length; i += 8) {
      const runs = candidates.slice(i, i + 8).map((dev) => this.runner.run('blkid', ['-c', '/dev/null', '-p', '-o', 'export', dev], { timeoutMs: SHORT }));
      for (const r of await Promise.all(runs)) {
        for (const [dev, sig] of parseBlkidExport(r.stdout)) if (sig.TYPE === 'btrfs' && sig.UUID === uuid) found.push(dev);
      }
    }
    return found;
  }

  /** Registers devices with the kernel (what udev would do): needed before a multi-device mount. */
  async scan(devices: string[]): Promise<void> {
    if (devices.length > 0) await this.ok('btrfs', ['device', 'scan', ...devices]);
  }

  async mkfs(label: string, profile: string, devices: string[]): Promise<string> {
    await this.ok('mkfs.btrfs', ['-f', '-L', label, '-d', profile, '-m', profile, ...devices], 300_000);
    const r = await this.ok('blkid', ['-c', '/dev/null', '-p', '-o', 'value', '-s', 'UUID', devices[0] as string]);
    const uuid = r.stdout.trim();
    if (!/^[0-9a-f-]{36}$/.test(uuid)) throw new HavenError('POOL_COMMAND_FAILED', { name: this.poolName(), detail: `no filesystem UUID on ${devices[0]} after mkfs` });
    return uuid;
  }

  /**
   * Mounts the filesystem the member `devices` (found by its UUID) belong to, naming each of
   * them (`device=`), so the kernel assembles it even if a scan registration went stale.
   */
  async mount(devices: string[], mountPath: string, degraded: boolean): Promise<void> {
    if (devices.length === 0) throw new HavenError('POOL_UNAVAILABLE', { name: this.poolName(), detail: 'no member device found' });
    const options = ['noatime', ...(degraded ? ['degraded'] : []), ...devices.map((d) => `device=${d}`)].join(',');
    await this.ok('mount', ['-t', 'btrfs', '-o', options, devices[0] as string, mountPath]);
  }

  async unmount(mountPath: string): Promise<void> {
    await this.ok('umount', [mountPath]);
  }

  /** `filesystem show` of a mounted path (raw bytes) or of an unmounted filesystem by UUID. */
  async show(target: string): Promise<FilesystemShow> {
    const r = await this.runner.run('btrfs', ['filesystem', 'show', '--raw', target], { timeoutMs: SHORT });
    // A missing device makes btrfs warn on stderr and may set the status; stdout still holds the listing.
    const shown = parseFilesystemShow(`${r.stdout}\n${r.stderr}`);
    if (shown.uuid === null) throw this.failure(r);
    return shown;
  }

  async usage(mountPath: string): Promise<FilesystemUsage> {
    return parseFilesystemUsage((await this.ok('btrfs', ['filesystem', 'usage', '-b', mountPath])).stdout);
  }

  /**
   * Scrubs in the foreground (`-B`) and resolves when it ends: exit 0 when clean or all
   * repaired, 3 when errors could not be corrected, 1 when it failed or was cancelled.
   */
  async scrubRun(mountPath: string): Promise<{ code: number | null; output: string }> {
    const r = await this.runner.run('btrfs', ['scrub', 'start', '-B', mountPath], { timeoutMs: LONG });
    if (r.code !== 0 && r.code !== 3 && /already running|in progress/i.test(r.stderr)) throw this.failure(r);
    return { code: r.code, output: `${r.stdout}${r.stderr}`.trim() };
  }

  /** Both forms merged: the plain one has the progress, -R the counters. */
  async scrubStatus(mountPath: string): Promise<ScrubStatus> {
    const [plain, raw] = [
      await this.ok('btrfs', ['scrub', 'status', '--raw', mountPath]),
      await this.ok('btrfs', ['scrub', 'status', '-R', '--raw', mountPath]),
    ];
    const p = parseScrubStatus(plain.stdout);
    const r = parseScrubStatus(raw.stdout);
    return { ...p, counters: r.counters, status: r.status === 'never' ? p.status : r.status };
  }

  async scrubCancel(mountPath: string): Promise<void> {
    const r = await this.runner.run('btrfs', ['scrub', 'cancel', mountPath], { timeoutMs: SHORT });
    // exit 2: no scrub running, which is what we wanted
    if (r.code !== 0 && r.code !== 2) throw this.failure(r);
  }

  /** Starts `btrfs replace` in the background; `readMirrorsOnly` is -r (spare a failing source). */
  async replaceStart(mountPath: string, devid: number, target: string, options: { readMirrorsOnly: boolean; force: boolean; signal?: AbortSignal }): Promise<void> {
    const flags = [...(options.readMirrorsOnly ? ['-r'] : []), ...(options.force ? ['-f'] : [])];
    const r = await this.runner.run('btrfs', ['replace', 'start', ...flags, String(devid), target, mountPath], { timeoutMs: SHORT, signal: options.signal });
    if (r.code !== 0) throw this.failure(r);
  }

  async replaceStatus(mountPath: string): Promise<ReplaceStatus> {
    return parseReplaceStatus((await this.ok('btrfs', ['replace', 'status', '-1', mountPath])).stdout);
  }

  async replaceCancel(mountPath: string): Promise<void> {
    await this.runner.run('btrfs', ['replace', 'cancel', mountPath], { timeoutMs: SHORT });
  }

  async deviceAdd(mountPath: string, device: string): Promise<void> {
    await this.ok('btrfs', ['device', 'add', device, mountPath]);
  }

  /** Moves the member's data to the others, then drops it (`missing` removes a missing one). */
  async deviceRemove(mountPath: string, devid: number | 'missing'): Promise<void> {
    await this.ok('btrfs', ['device', 'remove', String(devid), mountPath], LONG);
  }

  /**
   * Converts chunks not in `profile` back to it. After a degraded mount, chunks written then
   * may be `single`; `soft` leaves the ones already right alone, so this is cheap when nothing is.
   */
  async balanceToProfile(mountPath: string, profile: string): Promise<void> {
    await this.ok('btrfs', ['balance', 'start', `-dconvert=${profile},soft`, `-mconvert=${profile},soft`, mountPath], LONG);
  }
}
