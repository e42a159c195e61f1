// What the pool and the swap workflow ask of btrfs: the BtrfsDriver (btrfs-progs through the
// exec seam) is the one implementation the daemon runs. The interface exists so the guard
// rails above it (pool-service.ts, swap/) can be tested without root against a fixture
// kernel view (tests/pool/guard-rails-fixture.test.ts); the driver itself stays covered by
// the root tests on loop devices.

import type { FilesystemShow, FilesystemUsage, ReplaceStatus, ScrubStatus } from './btrfs-output.js';

export interface BtrfsOps {
  /** The devices among `candidates` that carry this filesystem UUID (probed on each device). */
  devicesOf(uuid: string, candidates: string[]): Promise<string[]>;
  /** Registers devices with the kernel (what udev would do): needed before a multi-device mount. */
  scan(devices: string[]): Promise<void>;
  /** Makes the filesystem over `devices`; resolves to its UUID. */
  mkfs(label: string, profile: string, devices: string[]): Promise<string>;
  mount(devices: string[], mountPath: string, degraded: boolean): Promise<void>;
  unmount(mountPath: string): Promise<void>;
  /** `filesystem show` of a mounted path or of an unmounted filesystem by a member device. */
  show(target: string): Promise<FilesystemShow>;
  usage(mountPath: string): Promise<FilesystemUsage>;
  /** A foreground scrub: exit 0 clean or repaired, 3 uncorrectable errors, 1 failed or cancelled. */
  scrubRun(mountPath: string): Promise<{ code: number | null; output: string }>;
  scrubStatus(mountPath: string): Promise<ScrubStatus>;
  scrubCancel(mountPath: string): Promise<void>;
  /** Starts a replace in the background (the kernel carries it on across daemon restarts). */
  /** `signal` kills btrfs-progs while it still prepares the target (afterwards the kernel has the replace: `replaceCancel`). */
  replaceStart(mountPath: string, devid: number, target: string, options: { readMirrorsOnly: boolean; force: boolean; signal?: AbortSignal }): Promise<void>;
  replaceStatus(mountPath: string): Promise<ReplaceStatus>;
  replaceCancel(mountPath: string): Promise<void>;
  deviceAdd(mountPath: string, device: string): Promise<void>;
  /** Moves the member's data to the others, then drops it (`missing` removes a missing one). */
  deviceRemove(mountPath: string, devid: number | 'missing'): Promise<void>;
  /** Converts chunks not in `profile` back to it (soft: the ones already right are left alone). */
  balanceToProfile(mountPath: string, profile: string): Promise<void>;
}
