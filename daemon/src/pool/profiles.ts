// What each btrfs profile promises. raid1 keeps two copies, raid1c3 three, raid10 two copies
// striped. `minDevices` is our floor, not only the kernel's: raid10 below four disks is
// accepted by newer kernels but is not the layout an admin chose it for.

import type { PoolProfile } from '../../../core/src/api/pool.js';

export interface ProfileFacts {
  /** The profile name mkfs.btrfs and balance filters take. */
  mkfs: string;
  minDevices: number;
  /** Members that may be missing while every byte still has a copy. */
  tolerates: number;
}

export const PROFILES: Record<PoolProfile, ProfileFacts> = {
  raid1: { mkfs: 'raid1', minDevices: 2, tolerates: 1 },
  raid1c3: { mkfs: 'raid1c3', minDevices: 3, tolerates: 2 },
  raid10: { mkfs: 'raid10', minDevices: 4, tolerates: 1 },
};
