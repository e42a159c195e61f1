// The one appender of a datastore. It only ever appends to the newest segment; it tracks
// how far that segment is durable, so a failed write (ENOSPC, EIO) is cut back to the last
// durable byte and never leaves a torn record in the middle of a segment.
// Callers (ChunkStore) serialize every call; nothing here is re-entrant.

import { open, mkdir, type FileHandle } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import type { ObjectHeader } from '../../../core/src/objects/frame.js';
import { fsyncDir } from './identity.js';
import { RECORD_HEADER_BYTES, encodeRecordHeader } from './record-format.js';
import { segmentDir, segmentPath } from './segment-files.js';

export interface AppendItem {
  header: ObjectHeader;
  payloadCrc: number;
  payload: Uint8Array;
}

export interface Appended {
  segment: number;
  offset: number;
}

export class SegmentWriter {
  private fd: FileHandle | null = null;
  private id: number;
  private size: number;
  private durable: number;

  private constructor(private readonly root: string, private readonly maxBytes: number, id: number, size: number) {
    this.id = id;
    this.size = size;
    this.durable = size;
  }

  /** Opens the newest segment for appending (recovery has already cut its torn tail). */
  static async open(root: string, maxBytes: number, newestId: number | null): Promise<SegmentWriter> {
    const id = newestId ?? 1;
    const path = segmentPath(root, id);
    const size = existsSync(path) ? statSync(path).size : 0;
    const w = new SegmentWriter(root, maxBytes, id, size);
    await w.openCurrent();
    return w;
  }

  get segment(): number {
    return this.id;
  }

  get length(): number {
    return this.size;
  }

  /** Bytes appended since the last sync. */
  get unsynced(): number {
    return this.size - this.durable;
  }

  /** True when `bytes` more would overflow the current segment (an empty one takes anything). */
  wouldOverflow(bytes: number): boolean {
    return this.size > 0 && this.size + bytes > this.maxBytes;
  }

  private async openCurrent(): Promise<void> {
    const dir = segmentDir(this.root, this.id);
    const path = segmentPath(this.root, this.id);
    const created = !existsSync(path);
    if (created) {
      await mkdir(dir, { recursive: true });
      fsyncDir(dir.replace(/\/[^/]+$/, ''));
    }
    this.fd = await open(path, created ? 'wx' : 'r+');
    // The new name must be durable before any index entry can point into the file.
    if (created) fsyncDir(dir);
  }

  /** Appends records in one writev; on failure the segment is cut back and the error rethrown. */
  async append(items: AppendItem[]): Promise<Appended[]> {
    const fd = this.fd as FileHandle;
    const buffers: Uint8Array[] = [];
    const placed: Appended[] = [];
    let offset = this.size;
    for (const item of items) {
      buffers.push(encodeRecordHeader(item.header, item.payloadCrc));
      if (item.payload.length > 0) buffers.push(item.payload);
      placed.push({ segment: this.id, offset });
      offset += RECORD_HEADER_BYTES + item.payload.length;
    }
    try {
      await writeAll(fd, buffers, this.size);
    } catch (err) {
      await this.cutBack(this.size);
      throw err;
    }
    this.size = offset;
    return placed;
  }

  /** fdatasync: everything appended so far survives a crash. On failure, unsynced bytes are cut. */
  async sync(): Promise<void> {
    if (this.size === this.durable) return;
    try {
      await (this.fd as FileHandle).datasync();
    } catch (err) {
      await this.cutBack(this.durable);
      throw err;
    }
    this.durable = this.size;
  }

  /** Closes the current segment (after syncing) and starts the next one. */
  async rotate(): Promise<void> {
    await this.sync();
    await (this.fd as FileHandle).close();
    this.fd = null;
    this.id += 1;
    this.size = 0;
    this.durable = 0;
    await this.openCurrent();
  }

  private async cutBack(to: number): Promise<void> {
    // If even truncation fails the segment may hold a torn record, and appending after it
    // would bury it mid-file; refuse further writes until a restart runs recovery.
    try {
      await (this.fd as FileHandle).truncate(to);
      this.size = to;
      if (this.durable > to) this.durable = to;
    } catch (err) {
      this.broken = err as Error;
    }
  }

  broken: Error | null = null;

  async close(): Promise<void> {
    if (this.fd) {
      await this.sync();
      await this.fd.close();
      this.fd = null;
    }
  }
}

/**
 * writev until every byte is written. A short write (the file system filling up) is
 * retried for the rest, which then fails with the real error (ENOSPC) instead of a vague one.
 */
async function writeAll(fd: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const total = pending.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fd.writev(pending, at);
    if (bytesWritten === total) return;
    if (bytesWritten === 0) throw Object.assign(new Error('no space left on device (write made no progress)'), { code: 'ENOSPC' });
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const b of pending) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    pending = rest;
  }
}
