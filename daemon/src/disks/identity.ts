// A disk's identity (DESIGN section 5): WWN, else serial + model; a loop device by its
// backing file. Names like sdb or nvme1n1 change across boots and hotplugs, so they never
// identify a disk. The id on the wire is a short hash of the identity: stable, URL-safe.

import { createHash } from 'node:crypto';
import type { DiskIdentity } from '../../../core/src/api/disks.js';

export interface IdentityFacts {
  wwid: string | null;
  serial: string | null;
  model: string | null;
  backingFile: string | null;
  isLoop: boolean;
  /** Content identity for disks without WWN and serial (virtual disks): partition-table or filesystem UUID. */
  ptUuid: string | null;
  fsUuid: string | null;
  /** Physical location, the last resort for a blank disk that has nothing else. */
  sysPath: string;
}

/**
 * The WWN in one spelling whatever the source: sysfs (`naa.5000c500...`, `eui.0025...`),
 * lsblk (`0x5000c500...`) or smartctl's {naa, oui, id} all become `0x` + lowercase hex.
 * Returns null for identifiers that merely wrap serial and model (`t10.`, NVMe `nvme.`).
 */
export function normalizeWwn(raw: string | null): string | null {
  if (!raw) return null;
  const s = raw.trim().toLowerCase();
  const m = /^(?:naa\.|eui\.|0x)([0-9a-f]{8,32})$/.exec(s);
  if (!m) return null;
  const hex = m[1] as string;
  if (/^0+$/.test(hex)) return null;
  return `0x${hex}`;
}

/** smartctl's `wwn` object: NAA (4 bits), OUI (24 bits), vendor id (36 bits). */
export function wwnFromSmartctl(w: { naa: number; oui: number; id: number } | null): string | null {
  if (!w) return null;
  return normalizeWwn(`0x${w.naa.toString(16)}${w.oui.toString(16).padStart(6, '0')}${w.id.toString(16).padStart(9, '0')}`);
}

export function cleanText(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  const t = s.replace(/\s+/g, ' ').trim();
  return t === '' ? null : t;
}

export function identify(f: IdentityFacts): DiskIdentity {
  if (f.isLoop && f.backingFile) return { kind: 'loop', value: f.backingFile };
  const wwn = normalizeWwn(f.wwid);
  if (wwn) return { kind: 'wwn', value: wwn };
  const serial = cleanText(f.serial);
  if (serial) return { kind: 'serial', value: `${cleanText(f.model) ?? ''}\u0000${serial}` };
  const content = f.ptUuid ?? f.fsUuid;
  if (content) return { kind: 'content', value: content.toLowerCase() };
  return { kind: 'location', value: f.sysPath };
}

export function diskIdOf(identity: DiskIdentity): string {
  return createHash('sha256').update(`${identity.kind}:${identity.value}`).digest('hex').slice(0, 16);
}
