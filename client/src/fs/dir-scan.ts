// Directory listings with the metadata the walker needs, sorted by name bytes (the tree
// order): through the addon's scanDirAsync (one call per directory, on a libuv thread,
// plain numbers), or, without it, readdir + lstat with bigint stats. Both give the same
// ScannedEntry values.

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

/** One path's metadata (top-level sources), like an entry of scanDirectoryAsync. */
export function statPath(path: NativePath, name: DirName): ScannedEntry {
  return fromBigIntStats(name, lstatSync(path, { bigint: true }));
}

function errnoOf(err: unknown): number {
  return Math.abs((err as NodeJS.ErrnoException).errno ?? 5);
}

/**
 * One directory's entries, sorted. The addon lists it on a libuv thread, so the walker keeps
 * turning earlier listings into tree entries while the kernel lists and stats the next ones.
 */
export async function scanDirectoryAsync(dir: NativePath, addon: HavenAddon | null): Promise<ScannedEntry[]> {
  return addon ? fromListing(await addon.scanDirAsync(dir)) : scanWithNode(dir);
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

function fromListing({ names, fields, stride }: DirListing): ScannedEntry[] {
  const out: ScannedEntry[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const raw = names[i] as string | Buffer;
    const name: DirName = typeof raw === 'string' ? { name: raw } : { name: raw.toString('utf8'), raw };
    const at = i * stride;
    const f = (k: number): number => fields[at + k] as number;
    out[i] = {
      name, errno: f(F.errno), mode: f(F.mode), uid: f(F.uid), gid: f(F.gid), nlink: f(F.nlink),
      size: f(F.sizeHi) * TWO32 + f(F.sizeLo), rdev: f(F.rdevHi) * TWO32 + f(F.rdevLo),
      devHi: f(F.devHi), devLo: f(F.devLo), inoHi: f(F.inoHi), inoLo: f(F.inoLo),
      mtimeNs: BigInt(f(F.mSec)) * NS + BigInt(f(F.mNsec)), ctimeNs: BigInt(f(F.cSec)) * NS + BigInt(f(F.cNsec)),
    };
  }
  return out;
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
