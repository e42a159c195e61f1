// The restore target as the only place a restore may touch. Whatever a snapshot says,
// nothing outside the target is created, changed or followed:
// - every path is relative to a descriptor of the target directory, and is resolved by
//   the kernel without following any symlink in any component (openat2 with
//   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or a component-by-component walk with
//   O_NOFOLLOW where openat2 is missing: native/src/restore-at.cc);
// - entries are created by *at() calls relative to their parent's descriptor, and
//   metadata is applied to the entry itself (AT_SYMLINK_NOFOLLOW, or through a descriptor
//   of the entry), never through a link;
// - a directory restored in this run is never removed again (--overwrite clears only what
//   was in the target before).
// Without the addon (a build failure; never under CI) the same steps run on paths, each
// preceded by an lstat of every component that refuses any surprise (RESTORE_UNSAFE):
// safe against what the snapshot says, though not against a local user racing the restore.

import { chmodSync, closeSync, constants, fchmodSync, fchownSync, lchownSync, linkSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync } from 'node:fs';
import { makeDirs } from '../../../core/src/fs/make-dirs.js';
import { HavenError } from '../../../core/src/errors.js';
import type { EntryType, TreeEntry } from '../../../core/src/objects/tree.js';
import { addonOrFallback, type HavenAddon, type NativePath } from '../../../core/src/native/addon.js';
import { entryType } from '../backup/entry-metadata.js';
import { showPath } from '../fs/names.js';
import { timespec, type PosixOps } from '../fs/posix-ops.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;

/** What the restore writers need to open files below the target (they share this process's descriptors). */
export interface TargetHandle {
  /** The target directory's descriptor (native), or null (path fallback). */
  rootFd: number | null;
  target: string;
}

/** Splits a relative path into its parent ('' for the target itself) and last name. */
function splitRel(rel: NativePath): { parent: NativePath; name: NativePath } {
  if (typeof rel === 'string') {
    const i = rel.lastIndexOf('/');
    return i < 0 ? { parent: '', name: rel } : { parent: rel.slice(0, i), name: rel.slice(i + 1) };
  }
  const i = rel.lastIndexOf(0x2f);
  return i < 0 ? { parent: '', name: rel } : { parent: rel.subarray(0, i), name: rel.subarray(i + 1) };
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * A Map/Set key for a relative path: its bytes, one character each. A string and raw bytes
 * must not share a key unless they are the same bytes: 'é' (UTF-8 c3 a9) and the Latin-1
 * name e9 beside it are two directories (the fuzzer found them merged into one).
 */
export function relKey(rel: NativePath): string {
  if (typeof rel === 'string') return ASCII.test(rel) ? rel : Buffer.from(rel).toString('latin1');
  return rel.toString('latin1');
}

function absolute(target: string, rel: NativePath): NativePath {
  if (rel === '' || rel.length === 0) return target;
  return typeof rel === 'string' ? `${target}/${rel}` : Buffer.concat([Buffer.from(`${target}/`), rel]);
}

function unsafe(target: string, rel: NativePath, detail: string): HavenError {
  return new HavenError('RESTORE_UNSAFE', { path: showPath(absolute(target, rel)), detail });
}

export interface RestoreTarget {
  readonly handle: TargetHandle;
  /** The type of what is at `rel` now, without following it; null when nothing is. */
  typeAt(rel: NativePath): EntryType | null;
  /** Creates a directory (mode 0700 until its metadata is applied). */
  makeDir(rel: NativePath): void;
  /** Removes whatever is at `rel`, a directory with its contents, following nothing. */
  remove(rel: NativePath): void;
  symlink(rel: NativePath, linkTarget: NativePath): void;
  fifo(rel: NativePath): Promise<void>;
  device(rel: NativePath, type: 'chardev' | 'blockdev', rdev: number): Promise<void>;
  hardlink(rel: NativePath, existing: NativePath): void;
  /** Ownership (when `chown`), mode (not for symlinks), xattrs and times of the entry itself. */
  applyMetadata(rel: NativePath, e: TreeEntry, chown: boolean): Promise<void>;
  close(): void;
}

/** Opens the target directory (created if missing); the native form when the addon is built (or given). */
export function openRestoreTarget(target: string, posix: PosixOps, addon: HavenAddon | null = addonOrFallback()): RestoreTarget {
  makeDirs(target);
  return addon ? new DescriptorTarget(target, addon) : new CheckedPathTarget(target, posix);
}

/** Opens a file to restore, below the target, following no link (restore writer threads). */
export function openTargetFile(handle: TargetHandle, rel: NativePath, flags: number): number {
  const addon = handle.rootFd === null ? null : addonOrFallback();
  if (addon && handle.rootFd !== null) return addon.openBeneath(handle.rootFd, rel, flags | constants.O_NOFOLLOW, 0o600);
  checkParents(handle.target, rel);
  return openSync(absolute(handle.target, rel), flags | constants.O_NOFOLLOW, 0o600);
}

/** An xattr on a restored file through its open descriptor (restore writer threads). */
export async function setFileXattr(handle: TargetHandle, fd: number, rel: NativePath, name: string, value: Uint8Array, posix: PosixOps): Promise<void> {
  const addon = handle.rootFd === null ? null : addonOrFallback();
  if (addon) {
    addon.fsetxattr(fd, name, value);
    return;
  }
  checkParents(handle.target, rel);
  await posix.writeXattr(absolute(handle.target, rel), name, value);
}

/**
 * The path fallback's guard: every directory between the target and `rel` must be a real
 * directory, not a link. Run immediately before each step.
 */
function checkParents(target: string, rel: NativePath): void {
  const parts: NativePath[] = [];
  for (let p = splitRel(rel).parent; p.length > 0; p = splitRel(p).parent) parts.push(p);
  for (const p of parts.reverse()) {
    const st = lstatSync(absolute(target, p), { throwIfNoEntry: false });
    if (!st?.isDirectory()) throw unsafe(target, p, st ? 'a directory on the way is not a directory (a link?)' : 'a directory on the way is missing');
  }
}

class DescriptorTarget implements RestoreTarget {
  readonly handle: TargetHandle;
  /** Descriptors of parent directories, most recent last (restores go directory by directory). */
  private readonly dirs = new Map<string, number>();

  constructor(readonly target: string, private readonly addon: HavenAddon) {
    this.handle = { rootFd: openSync(target, DIR_FLAGS), target };
  }

  private get root(): number {
    return this.handle.rootFd as number;
  }

  private dirFd(rel: NativePath): number {
    if (rel.length === 0) return this.root;
    const k = relKey(rel);
    const fd = this.dirs.get(k);
    if (fd !== undefined) {
      this.dirs.delete(k);
      this.dirs.set(k, fd);
      return fd;
    }
    if (this.dirs.size >= 64) {
      const [oldKey, oldFd] = this.dirs.entries().next().value as [string, number];
      this.dirs.delete(oldKey);
      closeSync(oldFd);
    }
    const opened = this.addon.openBeneath(this.root, rel, DIR_FLAGS, 0);
    this.dirs.set(k, opened);
    return opened;
  }

  private at(rel: NativePath): { dir: number; name: NativePath } {
    const { parent, name } = splitRel(rel);
    return { dir: this.dirFd(parent), name };
  }

  typeAt(rel: NativePath): EntryType | null {
    const { dir, name } = this.at(rel);
    return this.addon.lstatAt(dir, name)?.type ?? null;
  }

  makeDir(rel: NativePath): void {
    const { dir, name } = this.at(rel);
    this.addon.mkdirAt(dir, name, 0o700);
  }

  remove(rel: NativePath): void {
    const { dir, name } = this.at(rel);
    // A cached descriptor of something below would outlive what it names.
    const prefix = relKey(rel);
    for (const [k, fd] of this.dirs) {
      if (k === prefix || k.startsWith(`${prefix}/`)) {
        closeSync(fd);
        this.dirs.delete(k);
      }
    }
    this.addon.removeTreeAt(dir, name);
  }

  symlink(rel: NativePath, linkTarget: NativePath): void {
    const { dir, name } = this.at(rel);
    this.addon.symlinkAt(linkTarget, dir, name);
  }

  async fifo(rel: NativePath): Promise<void> {
    const { dir, name } = this.at(rel);
    this.addon.mkfifoAt(dir, name, 0o600);
  }

  async device(rel: NativePath, type: 'chardev' | 'blockdev', rdev: number): Promise<void> {
    const { dir, name } = this.at(rel);
    this.addon.mknodAt(dir, name, (type === 'chardev' ? S_IFCHR : S_IFBLK) | 0o600, rdev);
  }

  hardlink(rel: NativePath, existing: NativePath): void {
    const from = this.at(existing);
    const to = this.at(rel);
    this.addon.linkAt(from.dir, from.name, to.dir, to.name);
  }

  async applyMetadata(rel: NativePath, e: TreeEntry, chown: boolean): Promise<void> {
    const [sec, nsec] = timespec(e.mtimeNs);
    if (e.type === 'dir') {
      // A directory through its own descriptor, opened without following.
      const fd = this.addon.openBeneath(this.root, rel, DIR_FLAGS, 0);
      try {
        if (chown) fchownSync(fd, e.uid, e.gid);
        fchmodSync(fd, e.mode);
        for (const [k, v] of e.xattrs ?? []) this.addon.fsetxattr(fd, k, v);
        this.addon.futimens(fd, sec, nsec, sec, nsec);
      } finally {
        closeSync(fd);
      }
      return;
    }
    const { dir, name } = this.at(rel);
    if (chown) this.addon.fchownAt(dir, name, e.uid, e.gid);
    // after chown, which clears setuid/setgid; a symlink has no mode of its own on Linux
    if (e.type !== 'symlink') this.addon.fchmodAt(dir, name, e.mode);
    for (const [k, v] of e.xattrs ?? []) this.addon.setXattrAt(dir, name, k, v);
    this.addon.utimensAt(dir, name, sec, nsec, sec, nsec);
  }

  close(): void {
    for (const fd of this.dirs.values()) closeSync(fd);
    this.dirs.clear();
    closeSync(this.root);
  }
}

class CheckedPathTarget implements RestoreTarget {
  readonly handle: TargetHandle;

  constructor(readonly target: string, private readonly posix: PosixOps) {
    this.handle = { rootFd: null, target };
  }

  /** The absolute path of `rel` once every directory above it was checked. */
  private checked(rel: NativePath): NativePath {
    checkParents(this.target, rel);
    return absolute(this.target, rel);
  }

  typeAt(rel: NativePath): EntryType | null {
    const st = lstatSync(this.checked(rel), { throwIfNoEntry: false });
    return st ? entryType(st.mode) : null;
  }

  makeDir(rel: NativePath): void {
    mkdirSync(this.checked(rel), { mode: 0o700 });
  }

  remove(rel: NativePath): void {
    const path = this.checked(rel);
    const st = lstatSync(path, { throwIfNoEntry: false });
    // rmSync does not follow links inside what it removes.
    if (st) rmSync(path, { recursive: st.isDirectory(), force: true });
  }

  symlink(rel: NativePath, linkTarget: NativePath): void {
    symlinkSync(linkTarget, this.checked(rel));
  }

  async fifo(rel: NativePath): Promise<void> {
    await this.posix.mkfifo(this.checked(rel), 0o600);
  }

  async device(rel: NativePath, type: 'chardev' | 'blockdev', rdev: number): Promise<void> {
    await this.posix.mknod(this.checked(rel), type, 0o600, rdev);
  }

  hardlink(rel: NativePath, existing: NativePath): void {
    linkSync(this.checked(existing), this.checked(rel));
  }

  async applyMetadata(rel: NativePath, e: TreeEntry, chown: boolean): Promise<void> {
    const path = this.checked(rel);
    const st = lstatSync(path);
    if (entryType(st.mode) !== e.type) throw unsafe(this.target, rel, `expected a ${e.type}, found a ${entryType(st.mode)}`);
    if (chown) lchownSync(path, e.uid, e.gid);
    if (e.type !== 'symlink') chmodSync(path, e.mode); // not a link: checked just above
    for (const [k, v] of e.xattrs ?? []) await this.posix.writeXattr(path, k, v);
    await this.posix.setTimes(path, e.mtimeNs, true);
  }

  close(): void {}
}
