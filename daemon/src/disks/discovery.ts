// Discovery of the machine's disks (DESIGN section 5): sysfs decides which block devices are
// disks and gives WWN/serial/model; `lsblk -J -O -b` gives partitions and mount points;
// `blkid -p` reads filesystem and partition-table signatures itself (udev's cache is absent
// on test machines, so lsblk's fstype/uuid come back empty); systeminformation's
// blockDevices() adds its view of mounts. Every command runs through the exec seam.

import type { Partition } from '../../../core/src/api/disks.js';
import type { CommandRunner } from '../../../core/src/exec/runner.js';
import { cleanText, identify, normalizeWwn } from './identity.js';
import type { Sysfs } from './sysfs.js';
import type { DiskIdentity } from '../../../core/src/api/disks.js';

export interface DiskFacts {
  identity: DiskIdentity;
  name: string;
  devicePath: string;
  byPath: string;
  sizeBytes: number;
  rotational: boolean | null;
  transport: string | null;
  wwn: string | null;
  serial: string | null;
  model: string | null;
  vendor: string | null;
  firmware: string | null;
  backingFile: string | null;
  fsType: string | null;
  partitions: Partition[];
  mountpoints: string[];
}

/** Mount points by device path, from systeminformation (an optional second opinion). */
export type MountSource = () => Promise<Map<string, string[]>>;

interface LsblkNode {
  name: string;
  path: string;
  size: number;
  type: string;
  fstype: string | null;
  uuid: string | null;
  ptuuid: string | null;
  label: string | null;
  wwn: string | null;
  serial: string | null;
  model: string | null;
  tran: string | null;
  mountpoints: string[];
  children: LsblkNode[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

function lsblkNode(v: unknown): LsblkNode | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const name = str(o.name);
  if (!name) return null;
  const mps = Array.isArray(o.mountpoints) ? o.mountpoints.filter((m): m is string => typeof m === 'string') : [];
  const mp = str(o.mountpoint);
  if (mp && !mps.includes(mp)) mps.push(mp);
  return {
    name,
    path: str(o.path) ?? `/dev/${name}`,
    size: typeof o.size === 'number' ? o.size : Number(o.size ?? 0),
    type: str(o.type) ?? '',
    fstype: str(o.fstype),
    uuid: str(o.uuid),
    ptuuid: str(o.ptuuid),
    label: str(o.label),
    wwn: str(o.wwn),
    serial: str(o.serial),
    model: str(o.model),
    tran: str(o.tran),
    mountpoints: mps,
    children: Array.isArray(o.children) ? o.children.map(lsblkNode).filter((n): n is LsblkNode => n !== null) : [],
  };
}

export function parseLsblk(stdout: string): LsblkNode[] {
  const parsed: unknown = JSON.parse(stdout);
  const list = (parsed as { blockdevices?: unknown } | null)?.blockdevices;
  return Array.isArray(list) ? list.map(lsblkNode).filter((n): n is LsblkNode => n !== null) : [];
}

/** `blkid -p -o export DEV...`: blocks of KEY=value lines separated by blank lines. */
export function parseBlkidExport(stdout: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const block of stdout.split(/\n\s*\n/)) {
    const rec: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) rec[line.slice(0, i)] = line.slice(i + 1);
    }
    if (rec.DEVNAME) out.set(rec.DEVNAME, rec);
  }
  return out;
}

const IGNORED_NAMES = /^(ram|zram|dm-|md|sr|fd|nbd|mtdblock)/;

export class Discovery {
  constructor(
    private readonly runner: CommandRunner,
    private readonly sysfs: Sysfs,
    private readonly mounts: MountSource | null = null,
  ) {}

  /** Every disk now present. Loop devices count only while attached to a backing file. */
  async scan(): Promise<DiskFacts[]> {
    const candidates = this.sysfs.blockNames()
      .filter((n) => !IGNORED_NAMES.test(n))
      .map((n) => this.sysfs.device(n))
      .filter((d): d is NonNullable<typeof d> => d !== null && d.sizeBytes > 0 && d.scsiType !== 5)
      .filter((d) => (d.name.startsWith('loop') ? d.backingFile !== null : !d.virtual));
    if (candidates.length === 0) return [];

    const lsblk = await this.runner.run('lsblk', ['-J', '-O', '-b', ...candidates.map((d) => `/dev/${d.name}`)], { timeoutMs: 15_000 });
    let nodes: LsblkNode[] = [];
    try {
      nodes = lsblk.stdout.trim() ? parseLsblk(lsblk.stdout) : [];
    } catch {
      nodes = []; // lsblk failed: sysfs alone still identifies the disks
    }
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const devs = candidates.flatMap((d) => [`/dev/${d.name}`, ...(byName.get(d.name)?.children ?? []).map((c) => c.path)]);
    const blkid = await this.runner.run('blkid', ['-p', '-o', 'export', ...devs], { timeoutMs: 15_000 });
    const sigs = parseBlkidExport(blkid.stdout);
    const extraMounts = this.mounts ? await this.mounts().catch(() => new Map<string, string[]>()) : new Map<string, string[]>();

    return candidates.map((d) => {
      const node = byName.get(d.name);
      const devicePath = `/dev/${d.name}`;
      const sig = sigs.get(devicePath) ?? {};
      const partitions: Partition[] = (node?.children ?? []).map((c) => {
        const s = sigs.get(c.path) ?? {};
        return {
          name: c.name, path: c.path, sizeBytes: c.size,
          fsType: c.fstype ?? s.TYPE ?? null, fsUuid: c.uuid ?? s.UUID ?? null, label: c.label ?? s.LABEL ?? null,
          mountpoints: union(c.mountpoints, extraMounts.get(c.path)),
        };
      });
      const serial = d.serial ?? node?.serial ?? null;
      return {
        identity: identify({
          wwid: d.wwid ?? node?.wwn ?? null, serial, model: d.model ?? node?.model ?? null,
          backingFile: d.backingFile, isLoop: d.name.startsWith('loop'),
          ptUuid: node?.ptuuid ?? sig.PTUUID ?? null, fsUuid: node?.uuid ?? sig.UUID ?? null, sysPath: d.sysPath,
        }),
        name: d.name,
        devicePath,
        byPath: this.sysfs.byPathLink(d.name) ?? d.sysPath,
        sizeBytes: d.sizeBytes,
        rotational: d.name.startsWith('loop') ? null : d.rotational,
        transport: node?.tran ?? d.transport,
        wwn: normalizeWwn(d.wwid ?? node?.wwn ?? null),
        serial: cleanText(serial),
        model: cleanText(d.model ?? node?.model ?? null),
        vendor: cleanText(d.vendor),
        firmware: cleanText(d.firmware),
        backingFile: d.backingFile,
        fsType: node?.fstype ?? sig.TYPE ?? null,
        partitions,
        mountpoints: union(node?.mountpoints ?? [], extraMounts.get(devicePath)),
      };
    });
  }
}

function union(a: string[], b: string[] | undefined): string[] {
  return [...new Set([...a, ...(b ?? [])])].sort();
}
