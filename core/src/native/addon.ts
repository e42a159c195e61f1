// The typed surface of the N-API addon (native/) and its loader. Each area of the addon is
// one interface here, matching one source file there; HavenAddon extends them all. To add
// an area: declare its interface, add it to `extends` and its name to ADDON_AREAS
// (native/README.md).

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { EntryType } from '../objects/tree.js';

/** A path as a string, or as its exact bytes when they are not valid UTF-8. */
export type NativePath = string | Buffer;

export interface FastCdcBinding {
  /** Length of the chunk that begins at `start`, with [start, end) all remaining bytes (or at least maxSize of them). */
  cut(buf: Uint8Array, start: number, end: number): number;
}

export interface ChunkerArea {
  FastCdc: new (gear: Uint32Array, minSize: number, avgSize: number, maxSize: number, maskS: number, maskL: number) => FastCdcBinding;
}

export interface XattrsArea {
  /** Every extended attribute of the path itself (not a symlink's target); [] where unsupported. */
  readXattrs(path: NativePath): Array<[string, Buffer]>;
  writeXattr(path: NativePath, name: string, value: Uint8Array): void;
}

export interface SpecialFilesArea {
  mkfifo(path: NativePath, mode: number): void;
  /** `mode` includes the file type bits (S_IFCHR, S_IFBLK); `rdev` as fs.Stats reports it. */
  mknod(path: NativePath, mode: number, rdev: number): void;
}

export interface FileTimesArea {
  utimensat(path: NativePath, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number, noFollow: boolean): void;
  futimens(fd: number, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
}

export interface DirScanArea {
  /**
   * readdir + fstatat of every entry of each directory, one after the other on one libuv
   * thread, sorted by name bytes. A listing's `fields` holds `stride` numbers per entry in
   * the order of native/src/dir-scan.cc's Field enum; names that are not valid UTF-8 come as
   * Buffers. A directory that cannot be listed gets its error (like Node's fs errors) in its
   * place; the others are listed all the same.
   */
  scanDirsAsync(paths: NativePath[]): Promise<Array<DirListing | Error>>;
}

export interface DirListing {
  names: Array<string | Buffer>;
  /** Every name's bytes followed by a NUL, in one buffer (what the listing's digest is made of). */
  nameBytes: Buffer;
  fields: Float64Array;
  stride: number;
}

export interface SdNotifyArea {
  /** One datagram to the notify socket (a path, or '@name' for the abstract namespace), sent by this process. */
  sdNotify(socket: string, message: string): void;
}

export interface CopyBytesArea {
  /** target.set(source, offset) as one memcpy, also when either side is a SharedArrayBuffer (core/src/bytes/copy-bytes.ts). */
  copyBytes(target: Uint8Array, offset: number, source: Uint8Array): void;
}

export interface Crc32Area {
  /** zlib's CRC-32 of `data`, continuing from `value` (0 to start), as node:zlib's crc32. */
  crc32(data: Uint8Array, value?: number): number;
  /** Whether this CPU has the carry-less multiply the fast path needs. */
  readonly crc32Accelerated: boolean;
}

/** What lstatAt reports of an entry itself (a symlink is not followed). */
export interface EntryStatAt {
  type: EntryType;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  dev: number;
  ino: number;
}

/**
 * Restores never write through a symlink (native/src/restore-at.cc): every call works below
 * a directory descriptor on ONE component `name` (not '', '.', '..', no '/' or NUL: else
 * EINVAL) and follows no link there. Errors carry `.code` (ELOOP, ENOENT, EEXIST, EXDEV, ...)
 * and `.syscall` like Node's fs errors.
 */
export interface RestoreAtArea {
  /**
   * Opens `relPath` ('a/b/c': no '.', '..' or empty component) below `rootFd`, following no
   * symlink in any component and never leaving rootFd. O_CLOEXEC and O_NOFOLLOW are always
   * added to `flags`. A symlink met fails with ELOOP, or ENOTDIR where a directory was
   * expected: as the last component under O_DIRECTORY, or in between on the fallback walk.
   */
  openBeneath(rootFd: number, relPath: NativePath, flags: number, mode: number): number;
  /** Forces the component-by-component walk used where openat2 is missing (for its tests). */
  setRestoreAtFallback(on: boolean): void;
  mkdirAt(dirFd: number, name: NativePath, mode: number): void;
  /** `target` is stored as given (any bytes but NUL). */
  symlinkAt(target: NativePath, dirFd: number, name: NativePath): void;
  mkfifoAt(dirFd: number, name: NativePath, mode: number): void;
  /** `mode` includes the file type bits (S_IFCHR, S_IFBLK); `rdev` as fs.Stats reports it. */
  mknodAt(dirFd: number, name: NativePath, mode: number, rdev: number): void;
  /** A hard link of the entry at oldName itself, also when it is a symlink. */
  linkAt(oldDirFd: number, oldName: NativePath, newDirFd: number, newName: NativePath): void;
  unlinkAt(dirFd: number, name: NativePath, isDir: boolean): void;
  /** Removes whatever is at name, a directory with everything below it; nothing there is fine. EMLINK for a tree deeper than 4096 levels. */
  removeTreeAt(dirFd: number, name: NativePath): void;
  /** null when nothing is at name. */
  lstatAt(dirFd: number, name: NativePath): EntryStatAt | null;
  /** -1 keeps that id. */
  fchownAt(dirFd: number, name: NativePath, uid: number, gid: number): void;
  /** Throws (code ENOTSUP) on a symlink, which has no mode of its own on Linux. */
  fchmodAt(dirFd: number, name: NativePath, mode: number): void;
  utimensAt(dirFd: number, name: NativePath, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  /** Through /proc/self/fd/<dirFd> (ENOENT without /proc). */
  setXattrAt(dirFd: number, name: NativePath, xattrName: string, value: Uint8Array): void;
  fsetxattr(fd: number, xattrName: string, value: Uint8Array): void;
}

/** One inotify(7) event; an overflow of the kernel's queue comes as wd -1 with IN_Q_OVERFLOW. */
export interface InotifyEvent {
  wd: number;
  mask: number;
  cookie: number;
  /** The entry's name inside the watched directory (a Buffer when not valid UTF-8). */
  name?: string | Buffer;
}

export interface InotifyWatcherBinding {
  /** The watch descriptor (the same one for an inode already watched). Throws like fs: ENOSPC when fs.inotify.max_user_watches is reached. */
  addWatch(path: NativePath, mask: number): number;
  /** False when the kernel had already dropped the watch. */
  removeWatch(wd: number): boolean;
  /** Stops the events and frees the descriptor; an open watcher keeps the process alive. */
  close(): void;
}

export type InotifyBit =
  | 'IN_MODIFY' | 'IN_ATTRIB' | 'IN_CLOSE_WRITE' | 'IN_MOVED_FROM' | 'IN_MOVED_TO' | 'IN_CREATE' | 'IN_DELETE' | 'IN_DELETE_SELF'
  | 'IN_MOVE_SELF' | 'IN_UNMOUNT' | 'IN_Q_OVERFLOW' | 'IN_IGNORED' | 'IN_ONLYDIR' | 'IN_DONT_FOLLOW' | 'IN_EXCL_UNLINK' | 'IN_ISDIR';

export interface InotifyArea {
  /** An inotify descriptor polled on Node's event loop; each readable burst arrives as one call of `onEvents`. */
  InotifyWatcher: new (onEvents: (events: InotifyEvent[]) => void) => InotifyWatcherBinding;
  readonly inotifyBits: Readonly<Record<InotifyBit, number>>;
}

export interface FileHolesArea {
  /**
   * The first hole at or after `offset` of the open file `fd` (lseek SEEK_HOLE, SEEK_DATA), as
   * [start, end); `end` is the file's size when the hole runs to its end. [size, size] when no
   * hole lies before the end, [-1, -1] when `offset` is at or past the end or lseek fails (the
   * holes are then read like data). A hole reads as zeros.
   */
  nextHole(fd: number, offset: number): [number, number];
}

export interface HavenAddon extends ChunkerArea, XattrsArea, SpecialFilesArea, FileTimesArea, DirScanArea, SdNotifyArea, CopyBytesArea, Crc32Area, RestoreAtArea, InotifyArea, FileHolesArea {
  /** Areas the loaded build registered (native/src/registry.h). */
  readonly areas: readonly string[];
}

/** Every area this TypeScript expects; a build missing one is treated as absent. */
export const ADDON_AREAS: readonly string[] = ['chunker', 'xattrs', 'special-files', 'file-times', 'dir-scan', 'sd-notify', 'copy-bytes', 'crc32', 'restore-at', 'inotify', 'file-holes'];

export const ADDON_PATH = fileURLToPath(new URL('../../../../native/build/Release/haven_native.node', import.meta.url));

export type AddonLoad = { addon: HavenAddon; reason?: undefined } | { addon: null; reason: string };

const require = createRequire(import.meta.url);
// The loaded module is process-wide state in Node's own require cache anyway; memoising the
// outcome also keeps the fallback notice to one line per process.
let outcome: AddonLoad | undefined;
let noticePrinted = false;

export function loadAddon(): AddonLoad {
  if (outcome) return outcome;
  try {
    const mod = require(ADDON_PATH) as HavenAddon;
    const missing = ADDON_AREAS.filter((a) => !mod.areas.includes(a));
    outcome = missing.length === 0
      ? { addon: mod }
      : { addon: null, reason: `the build lacks ${missing.join(', ')} (rebuild with npm install)` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    outcome = { addon: null, reason: code === 'MODULE_NOT_FOUND' ? 'it was not built' : (err as Error).message.split('\n')[0] ?? 'load failed' };
  }
  return outcome;
}

/**
 * The addon, or null after a one-line notice that the fallbacks are in use. Under CI=true a
 * missing addon is an error, so CI always exercises the native path.
 */
export function addonOrFallback(env: NodeJS.ProcessEnv = process.env): HavenAddon | null {
  const r = loadAddon();
  if (r.addon) return r.addon;
  if (env.CI === 'true') throw new Error(`native addon missing under CI=true: ${r.reason} (${ADDON_PATH})`);
  if (!noticePrinted) {
    noticePrinted = true;
    process.stderr.write(`haven: native addon unavailable (${r.reason}); using the TypeScript chunker and command fallbacks\n`);
  }
  return null;
}
