// The holes of one open file, asked of the kernel as a backup reads the file front to back
// (lseek SEEK_HOLE and SEEK_DATA, through the addon). A hole reads as zeros, so the chunks a
// backup would cut from it are known without reading it, and the zeros a chunk needs from
// it are written into the buffer instead of read (the kernel would zero page-cache pages for
// them and copy those): a thin-provisioned disk image of hundreds of GiB holding a few GiB of
// data is read for its data only. Without the addon no hole is known and every byte is read,
// which records the same chunks.

import type { FileHolesArea } from '../../../core/src/native/addon.js';

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
