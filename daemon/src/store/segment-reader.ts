// Random reads of records by location, with a small cache of open segment files.
// Every read checks the record header, that it holds the expected digest, and the payload
// CRC; decoding to raw bytes also checks the SHA-256.

import { open, type FileHandle } from 'node:fs/promises';
import { HavenError } from '../../../core/src/errors.js';
import { Zstd, ZstdError } from '../../../core/src/compress/zstd.js';
import { sha256, toHex } from '../../../core/src/objects/digest.js';
import { Codec } from '../../../core/src/objects/kinds.js';
import type { RecordHeader } from './record-format.js';
import { RECORD_HEADER_BYTES, decodeRecordHeader, payloadCrc } from './record-format.js';
import type { Location } from './object-index.js';
import { segmentPath } from './segment-files.js';

const MAX_OPEN = 64;

export class SegmentReader {
  private readonly files = new Map<number, FileHandle>();
  private readonly zstd = new Zstd();

  constructor(private readonly root: string) {}

  private async file(segment: number): Promise<FileHandle> {
    let fh = this.files.get(segment);
    if (!fh) {
      fh = await open(segmentPath(this.root, segment), 'r');
      if (this.files.size >= MAX_OPEN) {
        const [oldId, old] = this.files.entries().next().value as [number, FileHandle];
        this.files.delete(oldId);
        void old.close();
      }
      this.files.set(segment, fh);
    }
    return fh;
  }

  /** The record at `location` as stored (possibly compressed), after header and CRC checks. */
  async readStored(location: Location, digest: Uint8Array): Promise<{ header: RecordHeader; stored: Buffer }> {
    const fh = await this.file(location.segment);
    const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + location.storedLength);
    const { bytesRead } = await fh.read(buf, 0, buf.length, location.offset);
    const header = bytesRead === buf.length ? decodeRecordHeader(buf) : 'short read';
    const where = `segment ${location.segment} offset ${location.offset}`;
    if (typeof header === 'string') throw new HavenError('STORE_CORRUPT', { detail: `${where}: ${header}` });
    if (!Buffer.from(header.digest).equals(Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength))) {
      throw new HavenError('STORE_CORRUPT', { detail: `${where}: record holds ${toHex(header.digest)}, not ${toHex(digest)}` });
    }
    const stored = buf.subarray(RECORD_HEADER_BYTES);
    if (payloadCrc(stored) !== header.payloadCrc) throw new HavenError('STORE_CORRUPT', { detail: `${where}: payload checksum mismatch` });
    return { header, stored };
  }

  /** Decodes stored bytes to the raw content and checks its SHA-256. */
  decode(header: RecordHeader, stored: Buffer): Buffer {
    let raw = stored;
    if (header.codec === Codec.zstd) {
      try {
        raw = this.zstd.decompress(stored, header.rawLength);
      } catch (err) {
        if (err instanceof ZstdError) throw new HavenError('STORE_CORRUPT', { detail: `${toHex(header.digest)}: ${err.message}` });
        throw err;
      }
    }
    if (!sha256(raw).equals(Buffer.from(header.digest))) {
      throw new HavenError('STORE_CORRUPT', { detail: `${toHex(header.digest)}: content does not match its digest` });
    }
    return raw;
  }

  async close(): Promise<void> {
    for (const fh of this.files.values()) await fh.close();
    this.files.clear();
  }
}
