// Wire frames: how objects travel in upload streams, restore streams and replication.
//
//   off  size  field
//   0    4     magic "HVF\x01"
//   4    1     kind   (kinds.ts)
//   5    1     codec  (0 none, 1 zstd)
//   6    2     flags  (0; reserved)
//   8    4     raw length     (uncompressed bytes, big-endian u32)
//   12   4     stored length  (payload bytes that follow)
//   16   32    SHA-256 of the raw bytes
//   48   ...   payload
//
// A segment record (daemon/src/store/record-format.ts) is the same 44 bytes after its own
// magic, plus two CRCs; sharing the layout lets the appliance write verified frames verbatim.

import { copyBytes } from '../bytes/copy-bytes.js';
import { HavenError } from '../errors.js';
import { DIGEST_BYTES, MAX_OBJECT_BYTES, isKnownCodec, isKnownKind, zstdBound, type Codec, type ObjectKind, Codec as Codecs } from './kinds.js';

export const FRAME_MAGIC = 0x48564601;
export const FRAME_HEADER_BYTES = 48;
/** Where the fields shared with segment records start and end. */
export const FIELDS_START = 4;
export const FIELDS_END = 48;

export interface ObjectHeader {
  kind: ObjectKind;
  codec: Codec;
  rawLength: number;
  storedLength: number;
  /** SHA-256 of the raw (uncompressed) content. */
  digest: Uint8Array;
}

/** Writes kind, codec, lengths and digest at `at` (the layout after a magic). */
export function writeHeaderFields(buf: Buffer, at: number, h: ObjectHeader): void {
  buf[at] = h.kind;
  buf[at + 1] = h.codec;
  buf.writeUInt16BE(0, at + 2);
  buf.writeUInt32BE(h.rawLength, at + 4);
  buf.writeUInt32BE(h.storedLength, at + 8);
  buf.set(h.digest, at + 12);
}

export type HeaderProblem =
  | { problem: 'kind'; kind: number }
  | { problem: 'codec'; codec: number }
  | { problem: 'size'; size: number }
  | { problem: 'shape'; detail: string };

/**
 * Reads the shared fields at `at`; returns a problem instead of throwing so that frames
 * (typed HTTP errors) and segment records (corruption reports) can word it their own way.
 */
export function readHeaderFields(buf: Buffer, at: number, maxStored: number): ObjectHeader | HeaderProblem {
  const kind = buf[at] as number;
  const codec = buf[at + 1] as number;
  const flags = buf.readUInt16BE(at + 2);
  const rawLength = buf.readUInt32BE(at + 4);
  const storedLength = buf.readUInt32BE(at + 8);
  if (!isKnownKind(kind)) return { problem: 'kind', kind };
  if (!isKnownCodec(codec)) return { problem: 'codec', codec };
  if (flags !== 0) return { problem: 'shape', detail: `flags ${flags} are reserved` };
  if (rawLength > MAX_OBJECT_BYTES) return { problem: 'size', size: rawLength };
  if (storedLength > maxStored) return { problem: 'size', size: storedLength };
  if (codec === Codecs.none && storedLength !== rawLength) {
    return { problem: 'shape', detail: `uncompressed payload of ${storedLength} bytes declares raw length ${rawLength}` };
  }
  if (codec === Codecs.zstd && storedLength > zstdBound(rawLength)) {
    return { problem: 'shape', detail: `zstd payload of ${storedLength} bytes cannot expand to ${rawLength}` };
  }
  const digest = Buffer.from(buf.subarray(at + 12, at + 12 + DIGEST_BYTES));
  return { kind, codec, rawLength, storedLength, digest };
}

export function isHeaderProblem(h: ObjectHeader | HeaderProblem): h is HeaderProblem {
  return 'problem' in h;
}

/** Writes a frame's header (magic and fields, FRAME_HEADER_BYTES) at `at`. */
export function writeFrameHeader(buf: Buffer, at: number, h: ObjectHeader): void {
  buf.writeUInt32BE(FRAME_MAGIC, at);
  writeHeaderFields(buf, at + FIELDS_START, h);
}

export function encodeFrameHeader(h: ObjectHeader): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  writeFrameHeader(buf, 0, h);
  return buf;
}

/**
 * Several objects as consecutive frames in one buffer, so a response is written as one
 * buffer per read rather than twice per object (a header, then a payload).
 */
export function encodeFrames(objects: ReadonlyArray<{ header: ObjectHeader; stored: Uint8Array }>): Buffer {
  let total = 0;
  for (const { stored } of objects) total += FRAME_HEADER_BYTES + stored.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const { header, stored } of objects) {
    writeFrameHeader(out, at, header);
    out.set(stored, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + stored.length;
  }
  return out;
}

export interface FrameParserOptions {
  /** Largest stored payload accepted. */
  maxStored: number;
  /** Kinds accepted in this stream (uploads refuse snapshot and tombstone frames). */
  allowedKinds: ReadonlySet<number>;
  /**
   * The chunks pushed are never written to afterwards (an HTTP body's chunks are fresh
   * copies): a payload that lies wholly inside one is then handed to `end` as a view of it,
   * without `begin` and without a copy.
   */
  chunksKept?: boolean;
}

/**
 * Receives a frame's payload. `begin` hands out the buffer the parser copies payload bytes
 * into, so the consumer decides the memory layout (an arena it can transfer to a worker)
 * and each payload byte is copied exactly once.
 */
export interface FrameSink {
  begin(header: ObjectHeader, streamOffset: number): Uint8Array;
  end(header: ObjectHeader, payload: Uint8Array, streamOffset: number): void;
}

/** Incremental parser for a byte stream of frames. Throws HavenError on malformed input. */
export class FrameParser {
  private readonly header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private current: ObjectHeader | null = null;
  private target: Uint8Array | null = null;
  private payloadFill = 0;
  private frameStart = 0;
  /** Bytes consumed from the stream so far. */
  offset = 0;
  frames = 0;

  constructor(private readonly sink: FrameSink, private readonly options: FrameParserOptions) {}

  get midFrame(): boolean {
    return this.headerFill > 0 || this.current !== null;
  }

  /** Bytes still to come of the payload under way, whose place the sink gave already (0 between payloads). */
  get payloadRemaining(): number {
    return this.current === null ? 0 : this.current.storedLength - this.payloadFill;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.current === null) {
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - pos);
        this.header.set(chunk.subarray(pos, pos + take), this.headerFill);
        this.headerFill += take;
        pos += take;
        this.offset += take;
        if (this.headerFill === FRAME_HEADER_BYTES) pos = this.startFrame(chunk, pos);
        continue;
      }
      const h = this.current;
      const take = Math.min(h.storedLength - this.payloadFill, chunk.length - pos);
      copyBytes(this.target as Uint8Array, this.payloadFill, chunk.subarray(pos, pos + take));
      this.payloadFill += take;
      pos += take;
      this.offset += take;
      if (this.payloadFill === h.storedLength) this.endFrame();
    }
  }

  /** Call at end of stream: a partial frame is an error (the complete ones were already delivered). */
  finish(): void {
    if (this.midFrame) throw new HavenError('FRAME_TORN', { offset: this.frameStart });
  }

  /** Checks the header just read and starts its payload; answers the chunk position after what it took. */
  private startFrame(chunk: Uint8Array, pos: number): number {
    this.frameStart = this.offset - FRAME_HEADER_BYTES;
    const offset = this.frameStart;
    if (this.header.readUInt32BE(0) !== FRAME_MAGIC) {
      throw new HavenError('FRAME_MALFORMED', { offset, detail: 'bad magic' });
    }
    const h = readHeaderFields(this.header, FIELDS_START, this.options.maxStored);
    if (isHeaderProblem(h)) {
      switch (h.problem) {
        case 'kind': throw new HavenError('UNKNOWN_KIND', { kind: h.kind, offset });
        case 'codec': throw new HavenError('UNKNOWN_CODEC', { codec: h.codec, offset });
        case 'size': throw new HavenError('FRAME_TOO_LARGE', { offset, size: h.size, limit: this.options.maxStored });
        case 'shape': throw new HavenError('FRAME_MALFORMED', { offset, detail: h.detail });
      }
    }
    if (!this.options.allowedKinds.has(h.kind)) throw new HavenError('UNKNOWN_KIND', { kind: h.kind, offset });
    this.current = h;
    this.payloadFill = 0;
    if (this.options.chunksKept && chunk.length - pos >= h.storedLength) {
      this.target = chunk.subarray(pos, pos + h.storedLength);
      this.payloadFill = h.storedLength;
      this.offset += h.storedLength;
      this.endFrame();
      return pos + h.storedLength;
    }
    this.target = this.sink.begin(h, offset);
    if (h.storedLength === 0) this.endFrame();
    return pos;
  }

  private endFrame(): void {
    const h = this.current as ObjectHeader;
    const payload = this.target as Uint8Array;
    this.current = null;
    this.target = null;
    this.headerFill = 0;
    this.frames++;
    this.sink.end(h, payload, this.frameStart);
  }
}
