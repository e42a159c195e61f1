// The one place that wipes disks. It trusts nobody: whatever the pool or the swap workflow
// decided, it re-reads the kernel's state itself and refuses a device that holds the state
// directory, a mounted filesystem (on the disk or any partition, including a member of a
// mounted multi-device btrfs, which the mount table does not show), a swap area, or that a
// device-mapper/md device sits on. One bug above cannot destroy the appliance's own disk.
// Whether the technician confirmed the disk is the caller's check; this one is about the
// machine's state, which can change between a confirmation and the wipe.

import { HavenError } from '../../../core/src/errors.js';
import { describeFailure, type CommandRunner } from '../../../core/src/exec/runner.js';
import type { KernelView } from './kernel-view.js';

export class WipeExecutor {
  constructor(
    private readonly runner: CommandRunner,
    private readonly kernel: KernelView,
    /** The daemon's state directory (absolute). */
    private readonly stateDir: string,
  ) {}

  /** Throws the reason this whole disk must not be wiped (or used as a replace target), if any. */
  check(devicePath: string): void {
    const name = this.kernel.kernelName(devicePath);
    if (!name) throw new HavenError('WIPE_DEVICE_IN_USE', { device: devicePath, detail: 'it is not a block device on this machine' });
    if (this.kernel.isPartition(name)) throw new HavenError('WIPE_DEVICE_IN_USE', { device: devicePath, detail: 'it is a partition; only whole disks are wiped' });
    const names = new Set([name, ...this.kernel.partitions(name)]);
    const majMins = new Set([...names].map((n) => this.kernel.majMin(n)).filter((m): m is string => m !== null));
    const mine = (source: string): boolean => {
      if (!source.startsWith('/')) return false;
      return names.has((this.kernel.resolveDevice(source) ?? source).replace(/^\/dev\//, ''));
    };
    const btrfs = this.kernel.btrfsMembers();
    const btrfsFsidOf = (source: string): string | null => {
      const n = source.replace(/^\/dev\//, '');
      for (const [fsid, members] of btrfs) if (members.includes(n)) return fsid;
      return null;
    };

    // The state directory first: the most specific refusal.
    const state = this.kernel.mountHolding(this.stateDir);
    if (state) {
      const stateFsid = state.fsType === 'btrfs' ? btrfsFsidOf(this.kernel.resolveDevice(state.source) ?? state.source) : null;
      const stateMembers = stateFsid ? btrfs.get(stateFsid) ?? [] : [];
      if (majMins.has(state.majMin) || mine(state.source) || stateMembers.some((m) => names.has(m))) {
        throw new HavenError('WIPE_STATE_DIR', { device: devicePath, dir: this.stateDir });
      }
    }
    for (const m of this.kernel.mounts()) {
      if (majMins.has(m.majMin) || mine(m.source)) {
        throw new HavenError('WIPE_DEVICE_IN_USE', { device: devicePath, detail: `it holds a mounted ${m.fsType} filesystem (${m.mountPoint})` });
      }
    }
    for (const [fsid, members] of btrfs) {
      const hit = members.find((m) => names.has(m));
      if (hit) throw new HavenError('WIPE_DEVICE_IN_USE', { device: devicePath, detail: `${hit} is a device of the mounted btrfs filesystem ${fsid}` });
    }
    for (const n of names) {
      const holders = this.kernel.holders(n);
      if (holders.length > 0) throw new HavenError('WIPE_DEVICE_IN_USE', { device: devicePath, detail: `${n} is in use by ${holders.join(', ')}` });
    }
    const swap = this.kernel.swapDevices().find(mine);
    if (swap) throw new HavenError('WIPE_DEVICE_IN_USE', { device: devicePath, detail: `${swap} is a swap area` });
  }

  /** Erases every signature (partition table, filesystems) from the disk and its partitions. */
  async wipe(devicePath: string): Promise<void> {
    this.check(devicePath);
    const name = this.kernel.kernelName(devicePath) as string;
    // Partitions first (their signatures live inside the disk's), the disk last. No --force:
    // wipefs then refuses a device in use itself, a last line behind check().
    for (const part of [...this.kernel.partitions(name).map((p) => `/dev/${p}`), `/dev/${name}`]) {
      const r = await this.runner.run('wipefs', ['--all', part], { timeoutMs: 60_000 });
      if (r.code !== 0) throw new HavenError('WIPE_DEVICE_IN_USE', { device: devicePath, detail: describeFailure(r) });
    }
    // Let the kernel drop the partitions it knew (fails harmlessly on loop devices without any).
    await this.runner.run('blockdev', ['--rereadpt', `/dev/${name}`], { timeoutMs: 30_000 });
  }
}
