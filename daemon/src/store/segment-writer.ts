// The one appender of a datastore. It only ever appends to the newest segment; it tracks
// how far that segment is durable, so a failed write (ENOSPC, EIO) is cut back to the last
// durable byte and never leaves a torn record in the middle of a segment.
// Callers (ChunkStore) serialize every call; nothing here is re-entrant.

import { mkdir } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import type { ObjectHeader } from '../../../core/src/objects/frame.js';
import { fsyncDir } from './identity.js';
import { RECORD_HEADER_BYTES, encodeRecordHeader } from './record-format.js';
import { segmentDir, segmentPath } from './segment-files.js';
import { alignedStaging, openSegmentFile, type SegmentFile } from './segment-file.js';
import { nodeSegmentFs, type SegmentFileSystem } from './segment-io.js';

export interface AppendItem {
  header: ObjectHeader;
  payloadCrc: number;
  payload: Uint8Array;
}

export interface Appended {
  segment: number;
  offset: number;
}

export interface SegmentWriterOptions {
  /** Append with O_DIRECT where the file system allows it (see segment-file.ts). */
  directIo: boolean;
  /** How segment files are opened (default node:fs; tests inject faults here). */
  fs?: SegmentFileSystem;
}

export class SegmentWriter {
  private file: SegmentFile | null = null;
  private id: number;
  private size: number;
  private durable: number;
  /** Set when a failed write could not even be cut back: appending after it would bury a torn record. */
  broken: Error | null = null;

  private constructor(
    private readonly root: string,
    private readonly maxBytes: number,
    private readonly staging: Buffer | null,
    private readonly fs: SegmentFileSystem,
    id: number,
    size: number,
  ) {
    this.id = id;
    this.size = size;
    this.durable = size;
  }

  /** Opens the newest segment for appending (recovery has already cut its torn tail). */
  static async open(root: string, maxBytes: number, newestId: number | null, options: SegmentWriterOptions): Promise<SegmentWriter> {
    const id = newestId ?? 1;
    const path = segmentPath(root, id);
    const size = existsSync(path) ? statSync(path).size : 0;
    const w = new SegmentWriter(root, maxBytes, options.directIo ? alignedStaging() : null, options.fs ?? nodeSegmentFs, id, size);
    await w.openCurrent();
    return w;
  }

  get segment(): number {
    return this.id;
  }

  get length(): number {
    return this.size;
  }

  /** Whether appends bypass the page cache (O_DIRECT). */
  get direct(): boolean {
    return this.file?.direct ?? false;
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
    this.file = await openSegmentFile(path, created, this.size, this.staging, this.fs);
    // The new name must be durable before any index entry can point into the file.
    if (created) fsyncDir(dir);
  }

  /** Appends records; on failure the segment is cut back and the error rethrown. */
  async append(items: AppendItem[]): Promise<Appended[]> {
    const buffers: Uint8Array[] = [];
    const placed: Appended[] = [];
    let offset = this.size;
    for (const item of items) {
      buffers.push(encodeRecordHeader(item.header, item.payloadCrc));
      if (item.payload.length > 0) buffers.push(item.payload);
      placed.push({ segment: this.id, offset });
      offset += RECORD_HEADER_BYTES + item.payload.length;
    }
    await this.write(buffers, offset - this.size);
    return placed;
  }

  /**
   * Appends whole records as they were stored elsewhere (compaction's copies: a record holds no
   * position, so its bytes are valid anywhere); answers the offset of the first.
   */
  async appendRecords(records: Uint8Array): Promise<number> {
    const at = this.size;
    await this.write([records], records.length);
    return at;
  }

  private async write(buffers: Uint8Array[], bytes: number): Promise<void> {
    try {
      await (this.file as SegmentFile).append(buffers, this.size);
    } catch (err) {
      await this.cutBack(this.size);
      throw err;
    }
    this.size += bytes;
  }

  /** fdatasync: everything appended so far survives a crash. On failure, unsynced bytes are cut. */
  async sync(): Promise<void> {
    if (this.size === this.durable) return;
    try {
      await (this.file as SegmentFile).sync();
    } catch (err) {
      await this.cutBack(this.durable);
      throw err;
    }
    this.durable = this.size;
  }

  /** Closes the current segment (after syncing) and starts the next one. */
  async rotate(): Promise<void> {
    await this.sync();
    await (this.file as SegmentFile).close(this.size);
    this.file = null;
    this.id += 1;
    this.size = 0;
    this.durable = 0;
    await this.openCurrent();
  }

  private async cutBack(to: number): Promise<void> {
    try {
      await (this.file as SegmentFile).truncate(to);
      this.size = to;
      if (this.durable > to) this.durable = to;
    } catch (err) {
      this.broken = err as Error;
    }
  }

  async close(): Promise<void> {
    if (this.file) {
      await this.sync();
      await this.file.close(this.size);
      this.file = null;
    }
  }
}
