// Sequential reading of a segment's records, for recovery, `store check` and
// `store rebuild-index`. Reads in large blocks.
//
// Two modes. Recovery stops at the first record that is not whole: past the indexed
// length that is a torn tail, and everything after it is cut. Check and rebuild instead
// step over damage: a record with a sound header but a bad payload is reported and skipped
// by its declared length; garbage where a header should be is reported as a gap, and
// scanning resumes at the next offset where a record header (magic + header CRC) holds.
// One flipped byte must never cost the records after it.

import { open, type FileHandle } from 'node:fs/promises';
import { RECORD_HEADER_BYTES, decodeRecordHeader, payloadCrc, type RecordHeader } from './record-format.js';

export interface ScannedRecord {
  kind: 'record';
  offset: number;
  header: RecordHeader;
  /** Valid only until the next iteration step; copy it to keep it. */
  payload: Buffer;
  /** The whole record, header and payload, as stored (valid as long as `payload`). */
  record: Buffer;
  /** Set when the payload fails its CRC (resync mode only; the record is not whole). */
  damaged: string | null;
}

/** Bytes that hold no recognisable record (resync mode only). */
export interface ScanGap {
  kind: 'gap';
  offset: number;
  length: number;
  problem: string;
}

export interface ScanEnd {
  /** Offset just after the last whole record. */
  validLength: number;
  fileLength: number;
  /** Why scanning stopped before the end of the file, if it did (stop mode). */
  problem: string | null;
}

const BLOCK = 16 * 1024 * 1024;
const MAGIC = Buffer.from([0x48, 0x56, 0x52, 0x01]);

export class BlockReader {
  buf = Buffer.allocUnsafe(BLOCK);
  start = 0; // file offset of buf[0]
  len = 0;

  constructor(private readonly fh: FileHandle, readonly fileLength: number, from: number) {
    this.start = from;
  }

  /** Ensures buf holds [pos, pos + need); false when the file ends first. */
  async fill(pos: number, need: number): Promise<boolean> {
    const rel = pos - this.start;
    if (rel >= 0 && rel + need <= this.len) return true;
    if (pos + need > this.fileLength) return false;
    const keep = rel >= 0 && rel < this.len ? this.len - rel : 0;
    const size = Math.max(BLOCK, need);
    const next = size > this.buf.length ? Buffer.allocUnsafe(size) : this.buf;
    if (keep > 0) this.buf.copy(next, 0, rel, rel + keep);
    this.buf = next;
    this.start = pos;
    this.len = keep;
    while (this.len < need) {
      const want = Math.min(this.buf.length - this.len, this.fileLength - (this.start + this.len));
      const { bytesRead } = await this.fh.read(this.buf, this.len, want, this.start + this.len);
      if (bytesRead === 0) return false;
      this.len += bytesRead;
    }
    return true;
  }

  at(pos: number): number {
    return pos - this.start;
  }
}

export async function* scanSegment(path: string, from = 0, options: { resync?: boolean } = {}): AsyncGenerator<ScannedRecord | ScanGap, ScanEnd> {
  const fh = await open(path, 'r');
  try {
    const fileLength = (await fh.stat()).size;
    const r = new BlockReader(fh, fileLength, from);
    let pos = from;
    let validLength = from;
    while (pos < fileLength) {
      const headerOk = await r.fill(pos, RECORD_HEADER_BYTES);
      const header = headerOk ? decodeRecordHeader(r.buf, r.at(pos)) : 'truncated record header';
      const whole = typeof header !== 'string' && (await r.fill(pos, RECORD_HEADER_BYTES + header.storedLength));
      if (typeof header === 'string' || !whole) {
        const problem = typeof header === 'string' ? header : 'truncated record payload';
        if (!options.resync) return { validLength: pos, fileLength, problem };
        const next = await findNextHeader(r, pos + 1);
        yield { kind: 'gap', offset: pos, length: next - pos, problem };
        pos = next;
        continue;
      }
      const start = r.at(pos) + RECORD_HEADER_BYTES;
      const payload = r.buf.subarray(start, start + header.storedLength);
      const crcOk = payloadCrc(payload) === header.payloadCrc;
      if (!crcOk && !options.resync) return { validLength: pos, fileLength, problem: 'payload checksum mismatch' };
      const record = r.buf.subarray(start - RECORD_HEADER_BYTES, start + header.storedLength);
      yield { kind: 'record', offset: pos, header, payload, record, damaged: crcOk ? null : 'payload checksum mismatch' };
      pos += RECORD_HEADER_BYTES + header.storedLength;
      if (crcOk) validLength = pos;
    }
    return { validLength, fileLength, problem: null };
  } finally {
    await fh.close();
  }
}

/** The next offset at or after `pos` holding a sound record header, or the end of the file. */
async function findNextHeader(r: BlockReader, pos: number): Promise<number> {
  let at = pos;
  while (at < r.fileLength) {
    const span = Math.min(BLOCK, r.fileLength - at);
    if (!(await r.fill(at, span))) return r.fileLength;
    const hit = r.buf.subarray(r.at(at), r.at(at) + span).indexOf(MAGIC);
    if (hit < 0) {
      at += Math.max(1, span - (MAGIC.length - 1));
      continue;
    }
    const candidate = at + hit;
    if ((await r.fill(candidate, RECORD_HEADER_BYTES)) && typeof decodeRecordHeader(r.buf, r.at(candidate)) !== 'string') return candidate;
    at = candidate + 1;
  }
  return r.fileLength;
}

