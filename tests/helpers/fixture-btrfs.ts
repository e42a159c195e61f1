// BtrfsOps for a fixture kernel (kernel-fixture.ts): it answers what btrfs-progs would print
// for that machine — `filesystem show --raw` rendered from the fixture's members, usage,
// scrub and replace status from captures of real pools (tests/pool/fixtures/btrfs) — each
// through the real parsers, and records every call. Operations that would change the
// filesystem change nothing here: a guard-rail test asserts they were never asked for, or
// (when a request is allowed) that they were, with the right arguments. The real driver is
// covered by the root tests on loop devices.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BtrfsOps } from '../../daemon/src/pool/btrfs-ops.js';
import {
  parseFilesystemShow, parseFilesystemUsage, parseReplaceStatus, parseScrubStatus,
  type FilesystemShow, type FilesystemUsage, type ReplaceStatus, type ScrubStatus,
} from '../../daemon/src/pool/btrfs-output.js';
import { REPO } from './daemon.js';
import type { FixtureBtrfs } from './kernel-fixture.js';

const capture = (name: string): string => readFileSync(join(REPO, 'tests/pool/fixtures/btrfs', `${name}.txt`), 'utf8');

/** The calls that would change a filesystem or a disk. */
export const CHANGING = new Set(['scan', 'mkfs', 'mount', 'unmount', 'scrubRun', 'scrubCancel', 'replaceStart', 'replaceCancel', 'deviceAdd', 'deviceRemove', 'balanceToProfile']);

export class FixtureBtrfsOps implements BtrfsOps {
  readonly calls: Array<{ op: string; args: unknown[] }> = [];

  constructor(private readonly fs: FixtureBtrfs | null, private readonly mountPath: string) {}

  /** The calls that would have changed something. */
  changes(): string[] {
    return this.calls.filter((c) => CHANGING.has(c.op)).map((c) => `${c.op} ${c.args.map(String).join(' ')}`);
  }

  private note(op: string, ...args: unknown[]): void {
    this.calls.push({ op, args });
  }

  /** What `btrfs filesystem show --raw` prints for the mounted fixture filesystem. */
  private showText(): string {
    const fs = this.fs as FixtureBtrfs;
    const lines = [`Label: '${fs.label}'  uuid: ${fs.uuid}`, `\tTotal devices ${fs.members.length} FS bytes used 63127552`];
    for (const m of fs.members) {
      lines.push(m.name === null
        ? `\tdevid ${String(m.devid).padStart(4)} size 0 used 0 path <missing disk> MISSING`
        : `\tdevid ${String(m.devid).padStart(4)} size ${m.sizeBytes} used 169345024 path /dev/${m.name}`);
    }
    return `${lines.join('\n')}\n\n`;
  }

  private mounted(path: string): void {
    if (!this.fs || path !== this.mountPath) throw new Error(`ERROR: not a btrfs filesystem: ${path}`);
  }

  async devicesOf(uuid: string, candidates: string[]): Promise<string[]> {
    this.note('devicesOf', uuid);
    const names = this.fs?.uuid === uuid ? this.fs.members.map((m) => m.name).filter((n): n is string => n !== null) : [];
    return candidates.filter((c) => names.includes(c.replace(/^\/dev\//, '')));
  }

  async scan(devices: string[]): Promise<void> {
    this.note('scan', ...devices);
  }

  async mkfs(label: string, profile: string, devices: string[]): Promise<string> {
    this.note('mkfs', label, profile, ...devices);
    return '00000000-0000-4000-8000-000000000000';
  }

  async mount(devices: string[], mountPath: string, degraded: boolean): Promise<void> {
    this.note('mount', mountPath, degraded, ...devices);
  }

  async unmount(mountPath: string): Promise<void> {
    this.note('unmount', mountPath);
  }

  async show(target: string): Promise<FilesystemShow> {
    this.note('show', target);
    this.mounted(target);
    return parseFilesystemShow(this.showText());
  }

  async usage(mountPath: string): Promise<FilesystemUsage> {
    this.note('usage', mountPath);
    this.mounted(mountPath);
    return parseFilesystemUsage(capture('usage-b-healthy'));
  }

  async scrubRun(mountPath: string): Promise<{ code: number | null; output: string }> {
    this.note('scrubRun', mountPath);
    return { code: 0, output: '' };
  }

  async scrubStatus(mountPath: string): Promise<ScrubStatus> {
    this.note('scrubStatus', mountPath);
    this.mounted(mountPath);
    return parseScrubStatus(capture('scrub-R-never'));
  }

  async scrubCancel(mountPath: string): Promise<void> {
    this.note('scrubCancel', mountPath);
  }

  async replaceStart(mountPath: string, devid: number, target: string, options: { readMirrorsOnly: boolean; force: boolean }): Promise<void> {
    this.note('replaceStart', mountPath, devid, target, options.readMirrorsOnly, options.force);
  }

  async replaceStatus(mountPath: string): Promise<ReplaceStatus> {
    this.note('replaceStatus', mountPath);
    this.mounted(mountPath);
    return parseReplaceStatus(capture('replace-never'));
  }

  async replaceCancel(mountPath: string): Promise<void> {
    this.note('replaceCancel', mountPath);
  }

  async deviceAdd(mountPath: string, device: string): Promise<void> {
    this.note('deviceAdd', mountPath, device);
  }

  async deviceRemove(mountPath: string, devid: number | 'missing'): Promise<void> {
    this.note('deviceRemove', mountPath, devid);
  }

  async balanceToProfile(mountPath: string, profile: string): Promise<void> {
    this.note('balanceToProfile', mountPath, profile);
  }
}
