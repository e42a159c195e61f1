// The system view from systeminformation (DESIGN section 5): its blockDevices() supplies
// mount points as a second opinion next to lsblk. Never diskLayout(): it runs `smartctl -a`
// on every disk behind our exec seam and wakes sleeping drives.

import type { MountSource } from './discovery.js';

export const systemInformationMounts: MountSource = async () => {
  // Loaded at the first scan, not at every start or CLI command that only imports the disks area.
  const { default: si } = await import('systeminformation');
  const mounts = new Map<string, string[]>();
  for (const d of await si.blockDevices()) {
    if (!d.mount) continue;
    const path = d.name.startsWith('/') ? d.name : `/dev/${d.name}`;
    mounts.set(path, [...(mounts.get(path) ?? []), d.mount]);
  }
  return mounts;
};
