// Random reads of records by location, with a small cache of open segment files.
// Every read checks the record header, that it holds the expected digest, and the payload
// CRC; decoding to raw bytes also checks the SHA-256. A segment that cannot be opened or read
// (EIO from a failing disk, after one retry of the read) is STORAGE_IO: the disk failed,
// which proves nothing about the record, so it is not reported as damage (STORE_CORRUPT).

import { HavenError } from '../../../core/src/errors.js';
import { Zstd, ZstdError } from '../../../core/src/compress/zstd.js';
import { sha256, toHex } from '../../../core/src/objects/digest.js';
import { FRAME_HEADER_BYTES, writeFrameHeader } from '../../../core/src/objects/frame.js';
import { Codec } from '../../../core/src/objects/kinds.js';
import type { RecordHeader } from './record-format.js';
import { RECORD_HEADER_BYTES, decodeRecordHeader, payloadCrc } from './record-format.js';
import { decodeLocation, type Location, type ObjectIndex } from './object-index.js';
import type { ObjectSource } from './reachability.js';
import { spanBytes } from './read-spans.js';
import { segmentPath } from './segment-files.js';
import { SpanBuffers } from './span-buffers.js';
import { nodeSegmentFs, type SegmentFileSystem, type SegmentHandle } from './segment-io.js';

const MAX_OPEN = 64;

/** Frames to send, in a buffer to hand back (release) once the socket has written them. */
export interface SpanFrames {
  frames: Buffer;
  release(): void;
}

export class SegmentReader {
  private readonly files = new Map<number, SegmentHandle>();
  private readonly opening = new Map<number, Promise<SegmentHandle>>();
  private readonly zstd = new Zstd();
  private readonly spanBuffers = new SpanBuffers();
  /** Where matches() decompresses; grows to the largest record met (at most MAX_OBJECT_BYTES + 1). */
  private scratch = Buffer.alloc(0);

  constructor(private readonly root: string, private readonly fs: SegmentFileSystem = nodeSegmentFs) {}

  private async file(segment: number): Promise<SegmentHandle> {
    const fh = this.files.get(segment);
    if (fh) return fh;
    // Reads run concurrently (the objects route keeps several spans in flight): they share
    // one open rather than each opening the segment and leaking all but the last handle.
    let opening = this.opening.get(segment);
    if (!opening) {
      opening = this.open(segment).finally(() => this.opening.delete(segment));
      this.opening.set(segment, opening);
    }
    return opening;
  }

  private async open(segment: number): Promise<SegmentHandle> {
    const fh = await this.fs.open(segmentPath(this.root, segment), 'r').catch((err: unknown) => {
      throw readFailed(`segment ${segment}`, 'opened', err);
    });
    if (this.files.size >= MAX_OPEN) {
      const [oldId, old] = this.files.entries().next().value as [number, SegmentHandle];
      this.files.delete(oldId);
      void old.close();
    }
    this.files.set(segment, fh);
    return fh;
  }

  /** The record at `location` as stored (possibly compressed), after header and CRC checks. */
  async readStored(location: Location, digest: Uint8Array): Promise<{ header: RecordHeader; stored: Buffer }> {
    const [one] = await this.readStoredSpan([{ location, digest }]);
    return one as { header: RecordHeader; stored: Buffer };
  }

  /**
   * Several records of one segment, sorted by offset, with one read covering all of them
   * (restores ask for thousands of small records that were written next to each other).
   * Each record gets the same checks as readStored.
   */
  async readStoredSpan(items: ReadonlyArray<{ location: Location; digest: Uint8Array }>): Promise<Array<{ header: RecordHeader; stored: Buffer }>> {
    const { span, records } = await this.readSpan(items);
    return records.map(({ header, at }) => ({ header, stored: span.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + header.storedLength) }));
  }

  /**
   * The records of readStoredSpan as consecutive wire frames, made in the buffer they were
   * read into: a frame's header is 8 bytes shorter than a record's, so each frame moves down
   * over the one before's spare bytes (and any gap). Serving a check, a restore or a pull then
   * allocates nothing per span (a fresh buffer per span cost page faults and collections, on
   * this machine more than copying into memory already touched): the read goes into a buffer
   * used before, which the caller releases once it has been sent.
   */
  async readSpanFrames(items: ReadonlyArray<{ location: Location; digest: Uint8Array }>): Promise<SpanFrames> {
    const into = this.spanBuffers.take(spanBytes(items));
    const release = (): void => this.spanBuffers.give(into);
    const { span, records } = await this.readSpan(items, into).catch((err: unknown) => {
      release();
      throw err;
    });
    const first = items[0]?.location;
    let end = 0;
    for (const { header, at } of records) {
      // Sorted and disjoint records keep every frame at or below its record: nothing unread is
      // overwritten. The route asks for each object once, so records that overlap are index
      // entries that overlap.
      if (at < end) throw new HavenError('STORE_CORRUPT', { detail: `segment ${first?.segment}: indexed records overlap at offset ${(first?.offset ?? 0) + at}` });
      const payload = at + RECORD_HEADER_BYTES;
      writeFrameHeader(span, end, header);
      span.copyWithin(end + FRAME_HEADER_BYTES, payload, payload + header.storedLength);
      end += FRAME_HEADER_BYTES + header.storedLength;
    }
    return { frames: span.subarray(0, end), release };
  }

  /**
   * One read covering `items`, each record checked (header, digest, payload CRC); `at` is its
   * place in `span`. Read into `into` when given (at least the span's bytes), else a new buffer.
   */
  private async readSpan(items: ReadonlyArray<{ location: Location; digest: Uint8Array }>, into?: Buffer): Promise<{ span: Buffer; records: Array<{ header: RecordHeader; at: number }> }> {
    const first = items[0];
    if (!first) return { span: Buffer.alloc(0), records: [] };
    const start = first.location.offset;
    const bytes = spanBytes(items);
    const fh = await this.file(first.location.segment);
    const span = into ? into.subarray(0, bytes) : Buffer.allocUnsafe(bytes);
    // A failed read is tried once more before it counts: a transient fault (a cable, a
    // controller reset) then costs nothing; a failing sector fails twice.
    const bytesRead = await readFully(fh, span, start).catch(() => readFully(fh, span, start)).catch((err: unknown) => {
      throw readFailed(`segment ${first.location.segment} offset ${start}`, 'read', err);
    });
    const records = items.map(({ location, digest }) => {
      const at = location.offset - start;
      const len = RECORD_HEADER_BYTES + location.storedLength;
      const buf = span.subarray(at, at + len);
      const header = at + len <= bytesRead ? decodeRecordHeader(buf) : `the segment ends at offset ${start + bytesRead}, inside the record`;
      const where = `segment ${location.segment} offset ${location.offset}`;
      if (typeof header === 'string') throw new HavenError('STORE_CORRUPT', { detail: `${where}: ${header}` });
      if (!Buffer.from(header.digest).equals(Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength))) {
        throw new HavenError('STORE_CORRUPT', { detail: `${where}: record holds ${toHex(header.digest)}, not ${toHex(digest)}` });
      }
      if (payloadCrc(buf.subarray(RECORD_HEADER_BYTES)) !== header.payloadCrc) throw new HavenError('STORE_CORRUPT', { detail: `${where}: payload checksum mismatch` });
      return { header, at };
    });
    return { span, records };
  }

  /** Decodes stored bytes to the raw content and checks its SHA-256. */
  decode(header: RecordHeader, stored: Buffer): Buffer {
    const content = this.content(header, stored, false);
    if (typeof content === 'string') throw new HavenError('STORE_CORRUPT', { detail: `${toHex(header.digest)}: ${content}` });
    return content;
  }

  /**
   * Whether a record's payload is its digest's content: decompressed into one buffer used
   * again by every call (verification keeps nothing of a chunk) and hashed. A payload zstd
   * refuses does not match.
   */
  matches(header: RecordHeader, stored: Buffer): boolean {
    return typeof this.content(header, stored, true) !== 'string';
  }

  /**
   * A record's content, checked against its digest, or why it is not that content. Decompressed
   * into a fresh buffer, or with `reuse` into the reader's scratch buffer (valid until the next call).
   */
  private content(header: RecordHeader, stored: Buffer, reuse: boolean): Buffer | string {
    let raw = stored;
    if (header.codec === Codec.zstd) {
      try {
        if (!reuse) raw = this.zstd.decompress(stored, header.rawLength);
        else {
          if (this.scratch.length < header.rawLength + 1) this.scratch = Buffer.allocUnsafe(header.rawLength + 1);
          this.zstd.decompressInto(this.scratch, stored, header.rawLength);
          raw = this.scratch.subarray(0, header.rawLength);
        }
      } catch (err) {
        if (err instanceof ZstdError) return err.message;
        throw err;
      }
    }
    return sha256(raw).equals(Buffer.from(header.digest)) ? raw : 'content does not match its digest';
  }

  /** Closes a segment's cached handle (its file is about to be removed). */
  async forget(segment: number): Promise<void> {
    // An open under way would cache its handle after this returns: let it land first.
    await this.opening.get(segment)?.catch(() => undefined);
    const fh = this.files.get(segment);
    this.files.delete(segment);
    await fh?.close();
  }

  async close(): Promise<void> {
    for (const fh of this.files.values()) await fh.close();
    this.files.clear();
  }
}

/**
 * Reads until `span` is full or the file ends (a read that returns 0), and answers how many
 * bytes were read. One read may return fewer bytes than asked without the file ending (a
 * signal, FUSE, a network file system): only the end of the file means the record is cut.
 */
async function readFully(fh: SegmentHandle, span: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < span.length) {
    const { bytesRead } = await fh.read(span, done, span.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

function readFailed(where: string, what: string, err: unknown): HavenError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new HavenError('STORAGE_IO', { detail: `${where} could not be ${what} (${code})` }, { cause: err });
}

/**
 * Objects straight from an index and its segments, for the offline tools (recovery, check,
 * rebuild) that walk trees without a running ChunkStore.
 */
export function indexedSource(index: ObjectIndex, reader: SegmentReader): ObjectSource {
  const locate = (d: Uint8Array): Location | undefined => {
    const raw = index.objects.getBinary(d as Buffer);
    return raw ? decodeLocation(raw) : undefined;
  };
  return {
    locate,
    readObject: async (d: Uint8Array) => {
      const loc = locate(d);
      if (!loc) throw new HavenError('OBJECT_NOT_FOUND', { digest: toHex(d) });
      const { header, stored } = await reader.readStored(loc, d);
      return reader.decode(header, stored);
    },
  };
}
