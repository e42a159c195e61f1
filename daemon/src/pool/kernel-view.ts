// What the pool, the wipe executor and the swap workflow read of the kernel's state: the
// mount table, swap areas, block devices, their partitions and holders, mounted btrfs
// filesystems, and the command lines of running processes. KernelState reads it from /proc
// and /sys under a root directory ('/' in the daemon), so a test can point it at a fixture
// tree and exercise the guard rails without root. Device paths in and out are as the
// machine names them (/dev/sdb), whatever the root.

import type { DeviceErrors } from '../../../core/src/api/pool.js';

export interface MountEntry {
  /** major:minor of the mounted device (anonymous 0:N for btrfs). */
  majMin: string;
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-mount options (rw, noatime ...). */
  options: string;
  /** The filesystem's own options (btrfs: degraded, space_cache ...). */
  superOptions: string;
}

export interface BtrfsDevinfo {
  devid: number;
  missing: boolean;
  errors: DeviceErrors;
}

export interface RunningProcess {
  pid: number;
  argv: string[];
}

export interface KernelView {
  mounts(): MountEntry[];
  /** The mount whose mount point is exactly `path`, the last one if stacked. */
  mountAt(path: string): MountEntry | null;
  /** The mount holding `path` (longest mount-point prefix). */
  mountHolding(path: string): MountEntry | null;
  /** Device paths of the active swap areas. */
  swapDevices(): string[];
  /** A device path with its symlinks followed (/dev/disk/by-id/x -> /dev/sdb), or null if there is no such node. */
  resolveDevice(path: string): string | null;
  /** The kernel name of a device node (/dev/loop3 -> loop3), or null if it is not a block device. */
  kernelName(devicePath: string): string | null;
  /** Every block device and partition that could hold a filesystem (what is probed for a pool's members). */
  blockDevicePaths(): string[];
  isPartition(name: string): boolean;
  /** Kernel names of the partitions of a disk. */
  partitions(name: string): string[];
  majMin(name: string): string | null;
  /** Kernel names of the devices (dm, md) built on this one. */
  holders(name: string): string[];
  /** fsid -> kernel names of the devices of every mounted btrfs filesystem. */
  btrfsMembers(): Map<string, string[]>;
  /** True while a btrfs filesystem with this fsid is mounted. */
  btrfsMounted(uuid: string): boolean;
  /** Per-devid state of a mounted btrfs filesystem: missing, error counters. */
  btrfsDevinfo(uuid: string): BtrfsDevinfo[];
  /** Every running process with its argument vector (what a killed daemon left behind shows here). */
  processes(): RunningProcess[];
}
