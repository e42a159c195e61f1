// The typed surface of the N-API addon (native/) and its loader. Each area of the addon is
// one interface here, matching one source file there; HavenAddon extends them all. To add
// an area: declare its interface, add it to `extends` and its name to ADDON_AREAS
// (native/README.md).

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

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
   * readdir + fstatat of every entry of a directory, sorted by name bytes. `fields` holds
   * `stride` numbers per entry in the order of native/src/dir-scan.cc's Field enum; names
   * that are not valid UTF-8 come as Buffers.
   */
  scanDirAsync(path: NativePath): Promise<DirListing>;
}

export interface DirListing {
  names: Array<string | Buffer>;
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

export interface HavenAddon extends ChunkerArea, XattrsArea, SpecialFilesArea, FileTimesArea, DirScanArea, SdNotifyArea, CopyBytesArea, Crc32Area {
  /** Areas the loaded build registered (native/src/registry.h). */
  readonly areas: readonly string[];
}

/** Every area this TypeScript expects; a build missing one is treated as absent. */
export const ADDON_AREAS: readonly string[] = ['chunker', 'xattrs', 'special-files', 'file-times', 'dir-scan', 'sd-notify', 'copy-bytes', 'crc32'];

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
