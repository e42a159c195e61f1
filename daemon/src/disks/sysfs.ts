// What the kernel tells about a block device in sysfs. Without udev (test machines, minimal
// appliances) lsblk shows no serial, WWN or model for SATA disks; sysfs still has them:
// device/wwid (SCSI/ATA, NAA or t10), wwid (NVMe namespaces), device/serial (NVMe),
// serial (virtio), device/vpd_pg80 (the SCSI unit serial number page), device/model.

import { readdirSync, readFileSync, readlinkSync, realpathSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface SysfsDevice {
  name: string;
  /** Physical path in /sys/devices (stable for a slot; not an identity). */
  sysPath: string;
  virtual: boolean;
  sizeBytes: number;
  rotational: boolean | null;
  removable: boolean;
  wwid: string | null;
  serial: string | null;
  model: string | null;
  vendor: string | null;
  firmware: string | null;
  /** For loop devices: the backing file (null when the loop device is not attached). */
  backingFile: string | null;
  /** SCSI peripheral type (0 disk, 5 CD-ROM), when known. */
  scsiType: number | null;
  /** The driver/bus the device hangs off: nvme, virtio, usb, ata, scsi, loop. */
  transport: string | null;
}

function read(path: string): string | null {
  try {
    const s = readFileSync(path, 'utf8').replace(/\0/g, '').trim();
    return s === '' ? null : s;
  } catch {
    return null;
  }
}

/** The unit serial number VPD page (0x80): 4 header bytes, then the ASCII serial. */
function vpdSerial(path: string): string | null {
  try {
    const b = readFileSync(path);
    if (b.length < 4 || b[1] !== 0x80) return null;
    const len = b.readUInt16BE(2);
    const s = b.subarray(4, 4 + len).toString('latin1').replace(/\0/g, '').trim();
    return s === '' ? null : s;
  } catch {
    return null;
  }
}

function transportOf(sysPath: string, name: string): string | null {
  if (name.startsWith('loop')) return 'loop';
  if (name.startsWith('nvme')) return 'nvme';
  if (sysPath.includes('/usb')) return 'usb';
  if (sysPath.includes('/virtio')) return 'virtio';
  if (/\/ata\d+\//.test(sysPath)) return 'sata';
  if (sysPath.includes('/host') && sysPath.includes('/port-')) return 'sas';
  if (sysPath.includes('/host')) return 'scsi';
  return null;
}

export class Sysfs {
  constructor(private readonly root = '/sys') {}

  /** Names in /sys/block (cheap: the hotplug poll calls this every second or two). */
  blockNames(): string[] {
    try {
      return readdirSync(join(this.root, 'block')).sort();
    } catch {
      return [];
    }
  }

  /** A cheap fingerprint of the device set: names, sizes, loop backing files, diskseq. */
  fingerprint(): string {
    return this.blockNames()
      .map((n) => {
        const base = join(this.root, 'block', n);
        return `${n}:${read(join(base, 'size')) ?? ''}:${read(join(base, 'diskseq')) ?? ''}:${read(join(base, 'loop', 'backing_file')) ?? ''}`;
      })
      .join('|');
  }

  device(name: string): SysfsDevice | null {
    const base = join(this.root, 'block', name);
    if (!existsSync(base)) return null;
    let sysPath: string;
    try {
      sysPath = realpathSync(base);
    } catch {
      sysPath = base;
    }
    const dev = join(base, 'device');
    const sectors = Number(read(join(base, 'size')) ?? '0');
    const rot = read(join(base, 'queue', 'rotational'));
    const type = read(join(dev, 'type'));
    const serial = read(join(dev, 'serial')) ?? read(join(base, 'serial')) ?? vpdSerial(join(dev, 'vpd_pg80'));
    return {
      name,
      sysPath,
      virtual: sysPath.includes('/devices/virtual/'),
      // sysfs sizes are always in 512-byte sectors, whatever the logical block size.
      sizeBytes: Number.isFinite(sectors) ? sectors * 512 : 0,
      rotational: rot === null ? null : rot === '1',
      removable: read(join(base, 'removable')) === '1',
      wwid: read(join(base, 'wwid')) ?? read(join(dev, 'wwid')),
      serial,
      model: read(join(dev, 'model')),
      vendor: read(join(dev, 'vendor')),
      firmware: read(join(dev, 'firmware_rev')) ?? read(join(dev, 'rev')),
      backingFile: read(join(base, 'loop', 'backing_file')),
      scsiType: type !== null && /^\d+$/.test(type) ? Number(type) : null,
      transport: transportOf(sysPath, name),
    };
  }

  /** udev's /dev/disk/by-path link for a device, when udev made one. */
  byPathLink(name: string, devDir = '/dev/disk/by-path'): string | null {
    try {
      for (const link of readdirSync(devDir)) {
        if (readlinkSync(join(devDir, link)).endsWith(`/${name}`)) return join(devDir, link);
      }
    } catch {
      // no udev: no by-path links; the sysfs path stands in
    }
    return null;
  }
}
