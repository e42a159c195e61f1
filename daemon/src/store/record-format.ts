// Segment records: self-describing, so the index can be rebuilt from segments alone and a
// torn tail is recognisable without the index.
//
//   off  size  field
//   0    4     magic "HVR\x01"
//   4    44    kind, codec, flags, raw length, stored length, digest (as in a wire frame)
//   48   4     CRC-32 of the stored payload
//   52   4     CRC-32 of bytes 0..51 (so a torn or garbage header is never trusted)
//   56   ...   stored payload
//
// CRC-32 (zlib's polynomial, folded with carry-less multiply in the addon) is the cheap check used when scanning; the SHA-256 digest
// of the raw content is the strong one used by verification.

import { crc32 } from '../../../core/src/bytes/crc32.js';
import { FIELDS_START, isHeaderProblem, readHeaderFields, writeHeaderFields, type ObjectHeader } from '../../../core/src/objects/frame.js';
import { MAX_OBJECT_BYTES, zstdBound } from '../../../core/src/objects/kinds.js';

export const RECORD_MAGIC = 0x48565201;
export const RECORD_HEADER_BYTES = 56;
const PAYLOAD_CRC_AT = 48;
const HEADER_CRC_AT = 52;
/** Largest stored payload a valid record can hold. */
export const MAX_RECORD_PAYLOAD = zstdBound(MAX_OBJECT_BYTES);

export function encodeRecordHeader(h: ObjectHeader, payloadCrc: number): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  buf.writeUInt32BE(RECORD_MAGIC, 0);
  writeHeaderFields(buf, FIELDS_START, h);
  buf.writeUInt32BE(payloadCrc >>> 0, PAYLOAD_CRC_AT);
  buf.writeUInt32BE(crc32(buf.subarray(0, HEADER_CRC_AT)), HEADER_CRC_AT);
  return buf;
}

export interface RecordHeader extends ObjectHeader {
  payloadCrc: number;
}

/** Parses a record header; returns a reason string when the bytes are not a valid header. */
export function decodeRecordHeader(buf: Buffer, at = 0): RecordHeader | string {
  if (buf.length - at < RECORD_HEADER_BYTES) return 'truncated header';
  if (buf.readUInt32BE(at) !== RECORD_MAGIC) return 'bad magic';
  const headerCrc = buf.readUInt32BE(at + HEADER_CRC_AT);
  if (crc32(buf.subarray(at, at + HEADER_CRC_AT)) !== headerCrc) return 'header checksum mismatch';
  const h = readHeaderFields(buf, at + FIELDS_START, MAX_RECORD_PAYLOAD);
  if (isHeaderProblem(h)) return `invalid header (${h.problem})`;
  return { ...h, payloadCrc: buf.readUInt32BE(at + PAYLOAD_CRC_AT) };
}

export function payloadCrc(payload: Uint8Array): number {
  return crc32(payload);
}
