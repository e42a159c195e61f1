// Directory listings with the metadata the walker needs, sorted by name bytes (the tree
// order): through the addon's scanDirsAsync (on a libuv thread, several directories a call,
// plain numbers), or, without it, readdir + lstat with bigint stats. Both give the same
// ScannedEntry values. A listing from the addon also has a digest of everything its tree
// entries are made of (backup/dir-records.ts), and makes entries only when asked: an
// unchanged directory needs its subdirectories' alone.

import { createHash } from 'node:crypto';
import { lstatSync, type BigIntStats } from 'node:fs';
import type { DirListing, HavenAddon, NativePath } from '../../../core/src/native/addon.js';
import { readNames, joinPath, type DirName } from './names.js';

export interface ScannedEntry {
  name: DirName;
  /** 0, or the errno of a failed stat (the entry vanished between readdir and stat). */
  errno: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  rdev: number;
  /** Device and inode as 32-bit halves (exact for 64-bit values). */
  devHi: number;
  devLo: number;
  inoHi: number;
  inoLo: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

const NS = 1_000_000_000n;
const TWO32 = 0x100000000;
const MASK32 = 0xffffffffn;

// Field order of native/src/dir-scan.cc
const F = { errno: 0, mode: 1, uid: 2, gid: 3, nlink: 4, sizeHi: 5, sizeLo: 6, devHi: 7, devLo: 8, inoHi: 9, inoLo: 10, rdevHi: 11, rdevLo: 12, mSec: 13, mNsec: 14, cSec: 15, cNsec: 16 };

export function fromBigIntStats(name: DirName, st: BigIntStats): ScannedEntry {
  return {
    name, errno: 0, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), nlink: Number(st.nlink), size: Number(st.size),
    rdev: Number(st.rdev), devHi: Number(st.dev >> 32n), devLo: Number(st.dev & MASK32), inoHi: Number(st.ino >> 32n), inoLo: Number(st.ino & MASK32),
    mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs,
  };
}

/** One path's metadata (top-level sources), like an entry of a DirScanner listing. */
export function statPath(path: NativePath, name: DirName): ScannedEntry {
  return fromBigIntStats(name, lstatSync(path, { bigint: true }));
}

function errnoOf(err: unknown): number {
  return Math.abs((err as NodeJS.ErrnoException).errno ?? 5);
}

interface PendingScan {
  dir: NativePath;
  resolve: (listing: ScannedDir) => void;
  reject: (err: unknown) => void;
}

/**
 * Directory listings, sorted, for the walk. With the addon, the scans asked for while the
 * walk handles one event are gathered and handed to libuv's threads in at most `threads`
 * batches at the next turn of the loop: handing a thread work costs the main thread a futex
 * wake, ~65 us here, which one scan per directory paid 4,517 times in an unchanged backup of
 * the bench dataset (30% of the walk). Batches still spread over the threads, so a cold disk
 * gets several directories' stats at once. Without the addon: readdir + lstat, one at a time.
 */
export class DirScanner {
  private pending: PendingScan[] = [];
  private flushQueued = false;

  constructor(
    private readonly addon: HavenAddon | null,
    private readonly threads = 4,
  ) {}

  scan(dir: NativePath): Promise<ScannedDir> {
    const addon = this.addon;
    if (!addon) return new Promise((resolve) => resolve(ScannedDir.fromEntries(scanWithNode(dir))));
    return new Promise((resolve, reject) => {
      this.pending.push({ dir, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        setImmediate(() => this.flush(addon));
      }
    });
  }

  private flush(addon: HavenAddon): void {
    this.flushQueued = false;
    const all = this.pending;
    this.pending = [];
    const per = Math.ceil(all.length / this.threads);
    for (let at = 0; at < all.length; at += per) {
      const batch = all.slice(at, at + per);
      addon.scanDirsAsync(batch.map((p) => p.dir)).then(
        (listings) => {
          for (let i = 0; i < batch.length; i++) {
            const p = batch[i] as PendingScan;
            const l = listings[i] as DirListing | Error;
            if (l instanceof Error) p.reject(l);
            else p.resolve(ScannedDir.fromListing(l));
          }
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err);
        },
      );
    }
  }
}

function scanWithNode(dir: NativePath): ScannedEntry[] {
  const names = readNames(dir).map((n) => ({ n, k: n.raw ?? Buffer.from(n.name) }));
  names.sort((a, b) => Buffer.compare(a.k, b.k));
  return names.map(({ n }) => {
    try {
      return fromBigIntStats(n, lstatSync(joinPath(dir, n), { bigint: true }));
    } catch (err) {
      return { ...emptyEntry(n), errno: errnoOf(err) };
    }
  });
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/**
 * One directory's entries in the tree's order. A listing from the addon keeps its numbers in
 * one Float64Array, outside the heap, and makes an entry each time one is asked for (the walk
 * asks once): a directory waiting for its files' reads holds no entry objects for the
 * collector to mark, and one found unchanged needs only its subdirectories'.
 */
export class ScannedDir {
  static readonly EMPTY = new ScannedDir(null, []);

  private constructor(
    private readonly listing: DirListing | null,
    private readonly fromNode: ScannedEntry[],
  ) {}

  static fromListing(l: DirListing): ScannedDir {
    return new ScannedDir(l, []);
  }

  static fromEntries(entries: ScannedEntry[]): ScannedDir {
    return new ScannedDir(null, entries);
  }

  get length(): number {
    return this.listing ? this.listing.names.length : this.fromNode.length;
  }

  entry(i: number): ScannedEntry {
    return this.listing ? entryAt(this.listing, i) : (this.fromNode[i] as ScannedEntry);
  }

  entries(): ScannedEntry[] {
    return Array.from({ length: this.length }, (_, i) => this.entry(i));
  }

  /** The name, without making the entry. */
  name(i: number): string {
    const l = this.listing;
    if (!l) return this.entry(i).name.name;
    const raw = l.names[i] as string | Buffer;
    return typeof raw === 'string' ? raw : raw.toString('utf8');
  }

  private field(i: number, k: number): number {
    const l = this.listing;
    return l ? (l.fields[i * l.stride + k] as number) : Number.NaN;
  }

  errno(i: number): number {
    return this.listing ? this.field(i, F.errno) : this.entry(i).errno;
  }

  private mode(i: number): number {
    return this.listing ? this.field(i, F.mode) : this.entry(i).mode;
  }

  isDir(i: number): boolean {
    return (this.mode(i) & S_IFMT) === S_IFDIR;
  }

  isFile(i: number): boolean {
    return (this.mode(i) & S_IFMT) === S_IFREG;
  }

  size(i: number): number {
    return this.listing ? this.field(i, F.sizeHi) * TWO32 + this.field(i, F.sizeLo) : this.entry(i).size;
  }

  /** Whether every entry's ctime is before `beforeNs` (settled.ts), without making entries. */
  ctimesBefore(beforeNs: bigint): boolean {
    const l = this.listing;
    if (!l) return this.fromNode.every((e) => e.ctimeNs < beforeNs);
    // the listing keeps seconds and nanoseconds as numbers: compared as such, no BigInt per entry
    const rest = ((beforeNs % NS) + NS) % NS;
    const sec = Number((beforeNs - rest) / NS);
    const nsec = Number(rest);
    for (let i = 0, at = 0; i < l.names.length; i++, at += l.stride) {
      const s = l.fields[at + F.cSec] as number;
      if (s > sec || (s === sec && (l.fields[at + F.cNsec] as number) >= nsec)) return false;
    }
    return true;
  }

  /**
   * Whether `test` holds for the device (st_dev, high and low 32 bits) of some regular file
   * here; asked once per run of files on one device, without making entries.
   */
  someFileDevice(test: (devHi: number, devLo: number) => boolean): boolean {
    let lastHi = -1;
    let lastLo = -1;
    for (let i = 0; i < this.length; i++) {
      if (!this.isFile(i)) continue;
      const e = this.listing ? null : this.entry(i);
      const hi = e ? e.devHi : this.field(i, F.devHi);
      const lo = e ? e.devLo : this.field(i, F.devLo);
      if (hi === lastHi && lo === lastLo) continue; // a directory's files share a device but at mount points
      if (test(hi, lo)) return true;
      lastHi = hi;
      lastLo = lo;
    }
    return false;
  }

  /** inodeKey(entry(i)) written at `at`, without making the entry. */
  inodeKeyInto(i: number, out: Buffer, at = 0): void {
    if (!this.listing) return void inodeKey(this.entry(i)).copy(out, at);
    out.writeUInt32BE(this.field(i, F.devHi), at);
    out.writeUInt32BE(this.field(i, F.devLo), at + 4);
    out.writeUInt32BE(this.field(i, F.inoHi), at + 8);
    out.writeUInt32BE(this.field(i, F.inoLo), at + 12);
  }

  /**
   * SHA-256 of every name's bytes and every stat field the walk reads (all but atime), so
   * equal states mean equal entries. Null without the addon: its listings keep no record.
   */
  state(): Buffer | null {
    const l = this.listing;
    if (!l) return null;
    return createHash('sha256')
      .update(`haven dir listing v1 ${l.stride}\0`)
      .update(new Uint8Array(l.fields.buffer, l.fields.byteOffset, l.fields.byteLength))
      .update(l.nameBytes)
      .digest();
  }
}

function entryAt({ names, fields, stride }: DirListing, i: number): ScannedEntry {
  const raw = names[i] as string | Buffer;
  const name: DirName = typeof raw === 'string' ? { name: raw } : { name: raw.toString('utf8'), raw };
  const at = i * stride;
  const f = (k: number): number => fields[at + k] as number;
  return {
    name, errno: f(F.errno), mode: f(F.mode), uid: f(F.uid), gid: f(F.gid), nlink: f(F.nlink),
    size: f(F.sizeHi) * TWO32 + f(F.sizeLo), rdev: f(F.rdevHi) * TWO32 + f(F.rdevLo),
    devHi: f(F.devHi), devLo: f(F.devLo), inoHi: f(F.inoHi), inoLo: f(F.inoLo),
    mtimeNs: BigInt(f(F.mSec)) * NS + BigInt(f(F.mNsec)), ctimeNs: BigInt(f(F.cSec)) * NS + BigInt(f(F.cNsec)),
  };
}

function emptyEntry(name: DirName): ScannedEntry {
  return { name, errno: 0, mode: 0, uid: 0, gid: 0, nlink: 0, size: 0, rdev: 0, devHi: 0, devLo: 0, inoHi: 0, inoLo: 0, mtimeNs: 0n, ctimeNs: 0n };
}

/** (device, inode) as 16 bytes: the files cache key and the seed of hard-link ids. */
export function inodeKey(e: ScannedEntry): Buffer {
  const k = Buffer.allocUnsafe(16);
  k.writeUInt32BE(e.devHi, 0);
  k.writeUInt32BE(e.devLo, 4);
  k.writeUInt32BE(e.inoHi, 8);
  k.writeUInt32BE(e.inoLo, 12);
  return k;
}
