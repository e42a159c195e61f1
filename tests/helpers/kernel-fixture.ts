// A machine's /sys, /proc and /dev written into a directory, laid out as the kernel lays them
// out (sysfs block devices under /sys/devices with /sys/block and /sys/class/block links,
// partitions, holders, the SCSI serial page, mounted btrfs filesystems under /sys/fs/btrfs,
// /proc/self/mountinfo, /proc/swaps, device nodes and by-id links in /dev). KernelState and
// Sysfs pointed at it read it like the real thing, so the pool's guard rails can be tested
// without root. Only what those readers look at is written.

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface FixturePartition {
  name: string;
  majMin: string;
  sizeBytes: number;
}

export interface FixtureDisk {
  name: string;
  majMin: string;
  sizeBytes: number;
  serial: string;
  model: string;
  partitions?: FixturePartition[];
  /** Devices built on this one (dm-0, md127). */
  holders?: string[];
}

export interface FixtureMount {
  source: string;
  majMin: string;
  mountPoint: string;
  fsType: string;
  /** The filesystem's own options (btrfs: `degraded`). */
  superOptions?: string;
}

export interface FixtureBtrfsMember {
  devid: number;
  /** Kernel name of the device; null for a member the kernel cannot find (missing). */
  name: string | null;
  sizeBytes: number;
}

export interface FixtureBtrfs {
  uuid: string;
  label: string;
  members: FixtureBtrfsMember[];
}

export interface KernelFixture {
  disks: FixtureDisk[];
  mounts: FixtureMount[];
  /** Device paths of active swap areas. */
  swaps?: string[];
  /** Mounted btrfs filesystems (sysfs shows only those). */
  btrfs?: FixtureBtrfs[];
}

function put(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

function link(path: string, target: string): void {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(relative(dirname(path), target), path);
}

/** The SCSI unit serial number page (VPD 0x80) as the kernel exposes it. */
function vpdPg80(serial: string): Buffer {
  const text = Buffer.from(serial, 'latin1');
  const header = Buffer.from([0, 0x80, 0, text.length]);
  return Buffer.concat([header, text]);
}

export function writeKernelFixture(root: string, f: KernelFixture): void {
  const sys = join(root, 'sys');
  const blockDirs = new Map<string, string>();
  f.disks.forEach((d, i) => {
    const scsi = join(sys, 'devices', 'pci0000:00', '0000:00:17.0', `ata${i + 1}`, `host${i}`, `target${i}:0:0`, `${i}:0:0:0`);
    put(join(scsi, 'type'), '0\n');
    put(join(scsi, 'model'), `${d.model}\n`);
    put(join(scsi, 'vendor'), 'ATA     \n');
    put(join(scsi, 'rev'), '0001\n');
    put(join(scsi, 'vpd_pg80'), vpdPg80(d.serial));
    const base = join(scsi, 'block', d.name);
    put(join(base, 'size'), `${d.sizeBytes / 512}\n`);
    put(join(base, 'dev'), `${d.majMin}\n`);
    put(join(base, 'removable'), '0\n');
    put(join(base, 'queue', 'rotational'), '1\n');
    link(join(base, 'device'), scsi);
    mkdirSync(join(base, 'holders'), { recursive: true });
    for (const h of d.holders ?? []) put(join(base, 'holders', h), '');
    link(join(sys, 'block', d.name), base);
    link(join(sys, 'class', 'block', d.name), base);
    blockDirs.set(d.name, base);
    put(join(root, 'dev', d.name), '');
    link(join(root, 'dev', 'disk', 'by-id', `ata-${d.model}_${d.serial}`), join(root, 'dev', d.name));
    for (const p of d.partitions ?? []) {
      const pd = join(base, p.name);
      put(join(pd, 'partition'), `${p.name.replace(/^\D+/, '')}\n`);
      put(join(pd, 'size'), `${p.sizeBytes / 512}\n`);
      put(join(pd, 'dev'), `${p.majMin}\n`);
      mkdirSync(join(pd, 'holders'), { recursive: true });
      link(join(sys, 'class', 'block', p.name), pd);
      blockDirs.set(p.name, pd);
      put(join(root, 'dev', p.name), '');
    }
  });
  for (const fs of f.btrfs ?? []) {
    const dir = join(sys, 'fs', 'btrfs', fs.uuid);
    put(join(dir, 'label'), `${fs.label}\n`);
    mkdirSync(join(dir, 'devices'), { recursive: true });
    for (const m of fs.members) {
      const info = join(dir, 'devinfo', String(m.devid));
      put(join(info, 'missing'), m.name === null ? '1\n' : '0\n');
      put(join(info, 'error_stats'), 'write_errs 0\nread_errs 0\nflush_errs 0\ncorruption_errs 0\ngeneration_errs 0\n');
      const block = m.name === null ? undefined : blockDirs.get(m.name);
      if (block) link(join(dir, 'devices', m.name as string), block);
    }
  }
  const mountinfo = f.mounts.map((m, i) =>
    `${20 + i} 1 ${m.majMin} / ${m.mountPoint.replace(/ /g, '\\040')} rw,relatime shared:${i + 1} - ${m.fsType} ${m.source} rw${m.superOptions ? `,${m.superOptions}` : ''}`);
  put(join(root, 'proc', 'self', 'mountinfo'), `${mountinfo.join('\n')}\n`);
  const swaps = (f.swaps ?? []).map((s) => `${s}                               partition\t8388604\t\t0\t\t-2`);
  put(join(root, 'proc', 'swaps'), ['Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority', ...swaps].join('\n') + '\n');
}
