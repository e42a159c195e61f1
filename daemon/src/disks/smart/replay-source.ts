// Fixture-backed runs (DESIGN section 10): `disks.smartReplayDir` names a directory of
// `smartctl --json` captures read instead of running smartctl. Files are read afresh on
// every poll, so replacing one changes the disk's SMART on the next poll. How a capture maps
// to a disk (docs/ARCHITECTURE.md, "Replaying SMART captures"):
//   1. `<disk id>.json` belongs to that discovered disk (loop devices have no serial);
//   2. else a capture whose WWN or serial number equals a discovered disk's belongs to it;
//   3. every other capture is a replayed disk of its own: the file is its slot, so the
//      disk `replay:<file name>` stays the same disk when the file's content is swapped.
// Scan outputs in the directory are ignored.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DiskIdentity, DiskRecord } from '../../../../core/src/api/disks.js';
import type { SmartRecord } from '../../../../core/src/api/smart.js';
import type { DiskFacts } from '../discovery.js';
import { diskIdOf } from '../identity.js';
import { parseSmartctlJson } from './smart-parser.js';
import { readingFromOutput, type SelfTestKind, type SmartReading, type SmartSource } from './smart-source.js';

interface Capture {
  file: string;
  record: SmartRecord | null;
}

export const REPLAY_TRANSPORT = 'replay';

export function replayIdentity(file: string): DiskIdentity {
  return { kind: 'location', value: `replay:${file}` };
}

export class ReplayDirectory implements SmartSource {
  private cache = new Map<string, { mtimeMs: number; size: number; capture: Capture }>();

  constructor(private readonly dir: string) {}

  /** A cheap fingerprint of the directory (names, sizes, times) for the hotplug poll. */
  fingerprint(): string {
    return this.files().map((f) => {
      try {
        const s = statSync(join(this.dir, f));
        return `${f}:${s.size}:${s.mtimeMs}`;
      } catch {
        return f;
      }
    }).join('|');
  }

  /** Discovered disks plus one replayed disk per capture that belongs to none of them. */
  withReplayedDisks(real: DiskFacts[]): DiskFacts[] {
    const claimed = new Set<string>();
    for (const f of real) {
      const c = this.captureFor(diskIdOf(f.identity), f.wwn, f.serial);
      if (c) claimed.add(c.file);
    }
    const replayed: DiskFacts[] = [];
    for (const file of this.files()) {
      if (claimed.has(file)) continue;
      const c = this.load(file);
      if (!c) continue;
      const r = c.record;
      replayed.push({
        identity: replayIdentity(file), name: file.replace(/\.json$/, ''), devicePath: `replay:${file}`,
        byPath: join(this.dir, file), sizeBytes: r?.capacityBytes ?? 0,
        rotational: r?.rotationRate === null || r?.rotationRate === undefined ? null : r.rotationRate > 0,
        transport: REPLAY_TRANSPORT, wwn: r?.wwn ?? null, serial: r?.serial ?? null, model: r?.model ?? null, vendor: null,
        firmware: r?.firmware ?? null, backingFile: null, fsType: null, partitions: [], mountpoints: [],
      });
    }
    return [...real, ...replayed];
  }

  async read(disk: DiskRecord): Promise<SmartReading> {
    const file = this.fileFor(disk);
    if (!file) return { kind: 'failed', reason: `no capture for this disk in the replay directory ${this.dir}` };
    let text: string;
    try {
      text = readFileSync(join(this.dir, file), 'utf8');
    } catch (err) {
      return { kind: 'failed', reason: `capture ${file} cannot be read: ${(err as Error).message}` };
    }
    return readingFromOutput(text, `capture ${file}`);
  }

  async startSelfTest(_disk: DiskRecord, kind: SelfTestKind): Promise<{ ok: false; reason: string }> {
    return { ok: false, reason: `a ${kind} self-test cannot run on a replayed capture` };
  }

  private fileFor(disk: DiskRecord): string | null {
    if (disk.transport === REPLAY_TRANSPORT && disk.identity.value.startsWith('replay:')) return disk.identity.value.slice('replay:'.length);
    return this.captureFor(disk.id, disk.wwn, disk.serial)?.file ?? null;
  }

  private captureFor(id: string, wwn: string | null, serial: string | null): Capture | null {
    const files = this.files();
    if (files.includes(`${id}.json`)) return this.load(`${id}.json`) ?? { file: `${id}.json`, record: null };
    for (const file of files) {
      const c = this.load(file);
      const r = c?.record;
      if (!r) continue;
      if ((wwn && r.wwn === wwn) || (serial && r.serial === serial)) return c;
    }
    return null;
  }

  private files(): string[] {
    try {
      return readdirSync(this.dir).filter((f) => f.endsWith('.json')).sort();
    } catch {
      return [];
    }
  }

  /** Parses a capture (cached by size and mtime); null for scans and unreadable files. */
  private load(file: string): Capture | null {
    try {
      const path = join(this.dir, file);
      const s = statSync(path);
      const hit = this.cache.get(file);
      if (hit && hit.mtimeMs === s.mtimeMs && hit.size === s.size) return hit.capture;
      let capture: Capture | null;
      try {
        const parsed = parseSmartctlJson(readFileSync(path, 'utf8'));
        capture = parsed.kind === 'device' ? { file, record: parsed.record } : null;
      } catch {
        capture = { file, record: null }; // unparsable: still a slot; its reading says why
      }
      if (capture) this.cache.set(file, { mtimeMs: s.mtimeMs, size: s.size, capture });
      return capture;
    } catch {
      return null;
    }
  }
}
