// Which stat results a later backup may trust: the files cache, the directory records and
// the previous snapshot skip a file whose size, mtime and ctime are as recorded. That holds
// only if a change always moves the ctime. It does not when the change comes within the file
// system's timestamp granularity of the stat that was recorded: the kernel stamps a change
// with a coarse clock (one tick, up to 10 ms; Linux before 6.13 has no fine-grained stamps
// for a file just looked at), and some file systems keep whole seconds (ext4 with 128-byte
// inodes, ext3) or two (FAT). A file written, looked at by the backup, and written again
// within that time keeps its ctime, and the next backup would keep the first version for as
// long as the file is not changed again: git's "racy git" problem.
//
// So a stat is trusted only if its ctime is older than the backup's start by more than any
// granularity: an entry whose ctime is later is backed up as read, but not recorded, and the
// next backup reads it again. Only ctime counts: it cannot be set back, mtime can (touch -d).

import type { ScannedDir } from '../fs/dir-scan.js';

/** Coarser than any file system's timestamps (FAT's two seconds) and a little clock skew. */
export const SETTLE_MS = 2500;

export class Settled {
  /** A ctime before this instant (ns since the epoch) cannot hide a later change. */
  readonly beforeNs: bigint;

  /**
   * For stats taken after `startedMs` (the backup's start, or the snapshot it made). A time
   * that is not a number (an appliance's unreadable snapshot time) settles nothing: the bound
   * is then before any ctime there can be.
   */
  constructor(startedMs: number) {
    this.beforeNs = Number.isFinite(startedMs) ? BigInt(Math.floor(startedMs) - SETTLE_MS) * 1_000_000n : -(1n << 63n);
  }

  /** Whether a file with this ctime may be skipped next time when its stat is the same. */
  file(ctimeNs: bigint): boolean {
    return ctimeNs < this.beforeNs;
  }

  /** Whether every entry of the listing has a trusted ctime (a directory record vouches for them all). */
  listing(scanned: ScannedDir): boolean {
    return scanned.ctimesBefore(this.beforeNs);
  }
}
