// The holes of one open file, asked of the kernel as a backup reads the file front to back
// (lseek SEEK_HOLE and SEEK_DATA, through the addon). A hole reads as zeros, so the chunks a
// backup would cut from it are known without reading it, and the zeros a chunk needs from
// it are written into the buffer instead of read (the kernel would zero page-cache pages for
// them and copy those): a thin-provisioned disk image of hundreds of GiB holding a few GiB of
// data is read for its data only. Without the addon no hole is known and every byte is read,
// which records the same chunks.
//
// A hole reported where there is data would put zeros in the backup for good, silently. The
// kernel's answer comes from each file system's own code, and some have got it wrong: OpenZFS
// reported dirty data as holes (openzfs#11900 in 2021, #15526 in 2023, #15933 in 2024: `cp`
// copied zeros), and network and FUSE file systems answer with whatever their server does.
// Holes are asked only on the local file systems whose answer comes from the extent tree the
// data is read through (ext2/3/4, XFS, Btrfs, tmpfs); elsewhere every byte is read.

import { statfsSync } from 'node:fs';
import type { FileHolesArea } from '../../../core/src/native/addon.js';

/** statfs f_type of the file systems whose holes are trusted (linux/magic.h). */
export const HOLES_TRUSTED_ON: ReadonlySet<number> = new Set([
  0xef53, // ext2/3/4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
]);

/** Whether the file system holding `path` reports holes that can be trusted (one statfs; false if it fails). */
export function holesTrustedAt(path: string | Buffer): boolean {
  try {
    return HOLES_TRUSTED_ON.has(Number(statfsSync(path).type));
  } catch {
    return false;
  }
}

export class FileHoles {
  /** The hole asked for last: the first at or after `askedAt`, so [askedAt, start) is data. */
  private askedAt = Infinity;
  private start = 0;
  private end = 0;
  private done = false;

  constructor(private readonly fd: number, private readonly kernel: FileHolesArea | null) {}

  /** Bytes of hole from `offset` on (offsets only move forward), 0 when `offset` is in data. */
  zerosAt(offset: number): number {
    if (this.done || this.kernel === null) return 0;
    if (offset < this.askedAt || offset >= this.end) {
      [this.start, this.end] = this.kernel.nextHole(this.fd, offset);
      this.askedAt = offset;
      if (this.start < 0) {
        this.done = true;
        return 0;
      }
    }
    return offset >= this.start ? this.end - offset : 0;
  }

  /** Bytes of data from `offset` (where zerosAt just answered 0) before the next hole; Infinity when none is known. */
  dataAt(offset: number): number {
    return this.done || this.kernel === null ? Infinity : this.start - offset;
  }
}
