// Sequential reading of a segment's records, for recovery, `store check` and
// `store rebuild-index`. Reads in large blocks; yields each record whose header and payload
// CRCs hold, and stops at the first one that does not (a torn tail, or corruption).

import { open } from 'node:fs/promises';
import { RECORD_HEADER_BYTES, decodeRecordHeader, payloadCrc, type RecordHeader } from './record-format.js';

export interface ScannedRecord {
  offset: number;
  header: RecordHeader;
  /** Valid only until the next iteration step; copy it to keep it. */
  payload: Buffer;
}

export interface ScanEnd {
  /** Offset just after the last valid record. */
  validLength: number;
  fileLength: number;
  /** Why scanning stopped before the end of the file, if it did. */
  problem: string | null;
}

const BLOCK = 16 * 1024 * 1024;

export async function* scanSegment(path: string, from = 0): AsyncGenerator<ScannedRecord, ScanEnd> {
  const fh = await open(path, 'r');
  try {
    const fileLength = (await fh.stat()).size;
    let buf = Buffer.allocUnsafe(BLOCK);
    let bufStart = from; // file offset of buf[0]
    let bufLen = 0;
    let pos = from;

    const fill = async (need: number): Promise<boolean> => {
      // ensure buf holds [pos, pos + need)
      const rel = pos - bufStart;
      if (rel + need <= bufLen) return true;
      if (pos + need > fileLength) return false;
      const keep = bufLen - rel;
      const size = Math.max(BLOCK, need);
      const next = size > buf.length ? Buffer.allocUnsafe(size) : buf;
      buf.copy(next, 0, rel, rel + keep);
      buf = next;
      bufStart = pos;
      bufLen = keep;
      while (bufLen < need) {
        const want = Math.min(buf.length - bufLen, fileLength - (bufStart + bufLen));
        const { bytesRead } = await fh.read(buf, bufLen, want, bufStart + bufLen);
        if (bytesRead === 0) return false;
        bufLen += bytesRead;
      }
      return true;
    };

    while (pos < fileLength) {
      if (!(await fill(RECORD_HEADER_BYTES))) return { validLength: pos, fileLength, problem: 'truncated record header' };
      const header = decodeRecordHeader(buf, pos - bufStart);
      if (typeof header === 'string') return { validLength: pos, fileLength, problem: header };
      const total = RECORD_HEADER_BYTES + header.storedLength;
      if (!(await fill(total))) return { validLength: pos, fileLength, problem: 'truncated record payload' };
      const start = pos - bufStart + RECORD_HEADER_BYTES;
      const payload = buf.subarray(start, start + header.storedLength);
      if (payloadCrc(payload) !== header.payloadCrc) return { validLength: pos, fileLength, problem: 'payload checksum mismatch' };
      yield { offset: pos, header, payload };
      pos += total;
    }
    return { validLength: pos, fileLength, problem: null };
  } finally {
    await fh.close();
  }
}
