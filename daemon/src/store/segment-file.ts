// How bytes reach a segment file. Two ways with one interface:
//
// - direct (O_DIRECT): records are gathered in an aligned staging buffer and written in whole
//   4 KiB blocks straight from it, bypassing the page cache. Measured here: the kernel's copy
//   into the page cache (copy_folio_from_iter_atomic) was the single largest CPU cost of
//   ingest, and buffered write + fdatasync took 0.3-1.2 s of system time per GiB against
//   0.10-0.15 s with O_DIRECT (docs/PERFORMANCE.md). The last, partly filled block is kept in
//   memory and rewritten by the next append; the bytes past the logical end are zero padding,
//   cut when the segment is closed, and seen by recovery as a torn tail after a crash.
// - buffered: plain positioned writev, for file systems that refuse O_DIRECT.
//
// Aligned memory comes from core/src/fs/aligned-memory.ts.
//
// Not on btrfs: it checksums data, and recent kernels serve O_DIRECT writes to checksummed
// files through the page cache anyway, so there is nothing to gain; worse, a direct write
// then waits for every mirror, including a disk being rebuilt onto (seen in the swap tests:
// appends stalled behind a throttled replace target). Buffered writes keep the pool's own
// writeback in charge there.

import { constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { copyBytes } from '../../../core/src/bytes/copy-bytes.js';
import { alignDown, alignedBuffer, DIRECT_BLOCK as BLOCK } from '../../../core/src/fs/aligned-memory.js';
import { writeMadeNoProgress } from '../../../core/src/fs/no-progress.js';
import { unwritten } from '../../../core/src/fs/unwritten.js';
import { nodeSegmentFs, type SegmentFileSystem, type SegmentHandle } from './segment-io.js';
/** Staging capacity: appends larger than this are written in several passes. */
const STAGING_BYTES = 16 * 1024 * 1024;

export interface SegmentFile {
  readonly direct: boolean;
  /** Appends `buffers` at `at`, which must be the current logical end. */
  append(buffers: Uint8Array[], at: number): Promise<void>;
  /** Cuts the file back to `to` (a failed write, or an unsynced tail after a failed sync). */
  truncate(to: number): Promise<void>;
  sync(): Promise<void>;
  /** Cuts any padding past `logicalSize`, syncs and closes. */
  close(logicalSize: number): Promise<void>;
}

class BufferedSegmentFile implements SegmentFile {
  readonly direct = false;
  constructor(private readonly fd: SegmentHandle) {}

  async append(buffers: Uint8Array[], at: number): Promise<void> {
    await writeAll(this.fd, buffers, at);
  }
  truncate(to: number): Promise<void> {
    return this.fd.truncate(to);
  }
  sync(): Promise<void> {
    return this.fd.datasync();
  }
  async close(): Promise<void> {
    await this.fd.datasync();
    await this.fd.close();
  }
}

class DirectSegmentFile implements SegmentFile {
  readonly direct = true;
  private readonly staging: Buffer;
  /** Bytes of the last partial block, at staging[0..carry); they sit at file offset alignDown(end). */
  private carry = 0;

  constructor(private readonly fd: SegmentHandle, staging: Buffer, private readonly reader: SegmentHandle) {
    this.staging = staging;
  }

  /** Loads the partial last block of an existing file into the staging buffer. */
  async load(end: number): Promise<void> {
    this.carry = end % BLOCK;
    if (this.carry > 0) {
      const { bytesRead } = await this.reader.read(this.staging, 0, this.carry, alignDown(end));
      if (bytesRead !== this.carry) throw new Error(`short read of the last block (${bytesRead} of ${this.carry})`);
    }
  }

  async append(buffers: Uint8Array[], at: number): Promise<void> {
    let filePos = alignDown(at); // where staging[0] goes
    let used = this.carry;
    const flush = async (final: boolean): Promise<void> => {
      // Whole blocks go out; a final partial block goes out zero-padded and stays staged.
      const full = alignDown(used);
      const tail = used - full;
      const writeLen = final && tail > 0 ? full + BLOCK : full;
      if (final && tail > 0) this.staging.fill(0, used, full + BLOCK);
      if (writeLen > 0) await writeExact(this.fd, this.staging, writeLen, filePos);
      if (tail > 0 && full > 0) this.staging.copy(this.staging, 0, full, used);
      filePos += full;
      used = tail;
    };
    for (const b of buffers) {
      let off = 0;
      while (off < b.length) {
        const n = Math.min(b.length - off, STAGING_BYTES - used);
        // The payloads are views of the shared ingest arenas: copyBytes, not set (see there).
        copyBytes(this.staging, used, b.subarray(off, off + n));
        used += n;
        off += n;
        if (used === STAGING_BYTES) await flush(false);
      }
    }
    await flush(true);
    this.carry = used;
  }

  async truncate(to: number): Promise<void> {
    await this.fd.truncate(to);
    await this.load(to);
  }

  sync(): Promise<void> {
    return this.fd.datasync();
  }

  async close(logicalSize: number): Promise<void> {
    await this.fd.truncate(logicalSize);
    await this.fd.datasync();
    await this.fd.close();
    await this.reader.close();
  }
}

/** An aligned staging buffer; a writer owns one and hands it to each segment it opens. */
export function alignedStaging(): Buffer {
  return alignedBuffer(STAGING_BYTES + BLOCK);
}

/**
 * Opens a segment for appending at `end` (creating it when `create`), directly when the file
 * system allows it and a probe write proves the staging buffer aligned, else buffered.
 */
export async function openSegmentFile(
  path: string,
  create: boolean,
  end: number,
  staging: Buffer | null,
  fs: SegmentFileSystem = nodeSegmentFs,
): Promise<SegmentFile> {
  const flags = (create ? constants.O_CREAT | constants.O_EXCL : 0) | constants.O_WRONLY;
  if (staging && !onBtrfs(dirname(path))) {
    let fd: SegmentHandle | null = null;
    try {
      fd = await fs.open(path, flags | constants.O_DIRECT, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
    if (fd) {
      const reader = await fs.open(path, 'r');
      const file = new DirectSegmentFile(fd, staging, reader);
      try {
        await file.load(end);
        // Probe: rewrite the last block as it is (a zero block past the end of an aligned
        // file, which is padding). EINVAL means O_DIRECT cannot be used here after all.
        await file.append([], end);
        return file;
      } catch (err) {
        await fd.close();
        await reader.close();
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      }
    }
  }
  // A refused O_DIRECT open may already have created the file, so no O_EXCL here.
  const fd = await fs.open(path, (create ? constants.O_CREAT : 0) | constants.O_WRONLY, 0o644);
  return new BufferedSegmentFile(fd);
}

const BTRFS_SUPER_MAGIC = 0x9123683e;

function onBtrfs(dir: string): boolean {
  return statfsSync(dir).type === BTRFS_SUPER_MAGIC;
}

async function writeExact(fd: SegmentHandle, buf: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await fd.write(buf, done, length - done, position + done);
    if (bytesWritten === 0) throw writeMadeNoProgress();
    done += bytesWritten;
  }
}

/**
 * writev until every byte is written. A short write (the file system filling up) is
 * retried for the rest, which then fails with the real error (ENOSPC) instead of a vague one.
 */
async function writeAll(fd: SegmentHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const total = pending.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fd.writev(pending, at);
    if (bytesWritten === total) return;
    if (bytesWritten === 0) throw writeMadeNoProgress();
    at += bytesWritten;
    pending = unwritten(pending, bytesWritten);
  }
}
