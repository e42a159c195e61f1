// Reading a segment's records at known offsets (compaction: the offsets the index points at),
// in ascending order, through the scanner's 16 MiB blocks. Only those records are decoded and
// checked: compaction used to scan every record of a segment, dead ones included, one step of
// an async generator each (on a 10-million-object datastore ~12 CPU-s of record scanning and
// header decoding in the second run, most of it for records it then dropped).

import { open, type FileHandle } from 'node:fs/promises';
import { BlockReader } from './segment-scanner.js';
import { RECORD_HEADER_BYTES, decodeRecordHeader, payloadCrc, type RecordHeader } from './record-format.js';

export interface RecordAt {
  header: RecordHeader;
  /** Valid until the next read; copy it to keep it. */
  payload: Buffer;
  /** The whole record, header and payload, as stored (valid as long as `payload`). */
  record: Buffer;
}

export class RecordsAt {
  private constructor(private readonly fh: FileHandle, private readonly blocks: BlockReader) {}

  static async open(path: string): Promise<RecordsAt> {
    const fh = await open(path, 'r');
    try {
      return new RecordsAt(fh, new BlockReader(fh, (await fh.stat()).size, 0));
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /**
   * The record at `offset` (offsets must come in ascending order), header and payload CRCs
   * checked; a string says why there is no whole, sound record there.
   */
  async read(offset: number): Promise<RecordAt | string> {
    const r = this.blocks;
    if (!(await r.fill(offset, RECORD_HEADER_BYTES))) return 'truncated record header';
    const header = decodeRecordHeader(r.buf, r.at(offset));
    if (typeof header === 'string') return header;
    if (!(await r.fill(offset, RECORD_HEADER_BYTES + header.storedLength))) return 'truncated record payload';
    const start = r.at(offset);
    const payload = r.buf.subarray(start + RECORD_HEADER_BYTES, start + RECORD_HEADER_BYTES + header.storedLength);
    if (payloadCrc(payload) !== header.payloadCrc) return 'payload checksum mismatch';
    return { header, payload, record: r.buf.subarray(start, start + RECORD_HEADER_BYTES + header.storedLength) };
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
