// The frame parser (core/src/objects/frame.ts) under any chunking and any damage: valid
// streams parse to the frames that were encoded, however the socket cuts them; damaged ones
// end with a typed frame error, never a TypeError; no payload buffer is ever asked for
// beyond the stream's frame limit, whatever a header claims.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ErrorCode } from '../../core/src/errors.js';
import { FrameParser, encodeFrameHeader, type FrameSink, type ObjectHeader } from '../../core/src/objects/frame.js';
import { CLIENT_KINDS, Codec, MAX_OBJECT_BYTES, ObjectKind, zstdBound } from '../../core/src/objects/kinds.js';
import { bounded, fuzzParams, mutate, mutationsArb, splitAt, testTimeout, typedOutcome } from './runs.js';

const FRAME_ERRORS: ErrorCode[] = ['FRAME_MALFORMED', 'FRAME_TOO_LARGE', 'FRAME_TORN', 'UNKNOWN_KIND', 'UNKNOWN_CODEC'];
const MAX_STORED = 4096;

interface Frame {
  header: ObjectHeader;
  payload: Uint8Array;
}

const frameArb: fc.Arbitrary<Frame> = fc.record({
  kind: fc.constantFrom(ObjectKind.data, ObjectKind.tree, ObjectKind.list),
  zstd: fc.boolean(),
  payload: fc.uint8Array({ maxLength: 300 }),
  raw: fc.nat({ max: 2000 }),
  digest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
}).map(({ kind, zstd, payload, raw, digest }) => {
  // the parser checks shapes, not content (that is the verifier's job): a zstd payload need only fit its bound
  const rawLength = zstd ? Math.max(raw, payload.length) : payload.length;
  const codec = zstd && payload.length <= zstdBound(rawLength) ? Codec.zstd : Codec.none;
  return { header: { kind, codec, rawLength: codec === Codec.none ? payload.length : rawLength, storedLength: payload.length, digest }, payload };
});

function encodeStream(frames: readonly Frame[]): Uint8Array {
  return Buffer.concat(frames.flatMap((f) => [encodeFrameHeader(f.header), f.payload]));
}

/** A sink that keeps what it is given, and records every buffer size it was asked for. */
class Collect implements FrameSink {
  frames: Frame[] = [];
  asked: number[] = [];
  begin(header: ObjectHeader): Uint8Array {
    this.asked.push(header.storedLength);
    return new Uint8Array(header.storedLength);
  }
  end(header: ObjectHeader, payload: Uint8Array): void {
    this.frames.push({ header: { ...header, digest: Uint8Array.from(header.digest) }, payload: Uint8Array.from(payload) });
  }
}

function parse(chunks: readonly Uint8Array[], chunksKept: boolean): Collect {
  const sink = new Collect();
  const parser = new FrameParser(sink, { maxStored: MAX_STORED, allowedKinds: CLIENT_KINDS, chunksKept });
  for (const c of chunks) parser.push(c);
  parser.finish();
  return sink;
}

const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

test('frame parser fuzz: any chunking of valid frames parses to the same frames', { timeout: testTimeout() }, () => {
  fc.assert(fc.property(fc.array(frameArb, { maxLength: 8 }), cutsArb, fc.boolean(), (frames, cuts, chunksKept) => {
    const sink = bounded('parse', () => parse(splitAt(encodeStream(frames), cuts), chunksKept));
    // Kept chunks: a payload inside one chunk is a view, so in one whole chunk nothing is asked for.
    if (chunksKept && cuts.length === 0) assert.deepEqual(sink.asked, []);
    assert.deepEqual(sink.frames.map((f) => ({ ...f.header, digest: [...f.header.digest], payload: [...f.payload] })),
      frames.map((f) => ({ ...f.header, digest: [...f.header.digest], payload: [...f.payload] })));
  }), fuzzParams());
});

test('frame parser fuzz: damaged streams end with a typed frame error, and no buffer beyond the limit', { timeout: testTimeout() }, () => {
  const streamArb = fc.oneof(
    fc.tuple(fc.array(frameArb, { minLength: 1, maxLength: 6 }), mutationsArb).map(([frames, m]) => mutate(encodeStream(frames), m)),
    fc.uint8Array({ maxLength: 400 }),
    // headers claiming large payloads, with little or nothing after them
    fc.tuple(frameArb, fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 64 })).map(([f, stored, tail]) => {
      const h = encodeFrameHeader(f.header);
      h.writeUInt32BE(stored, 12);
      if (f.header.codec === Codec.none) h.writeUInt32BE(Math.min(stored, MAX_OBJECT_BYTES), 8);
      return Uint8Array.from([...h, ...tail]);
    }),
  );
  fc.assert(fc.property(streamArb, cutsArb, fc.boolean(), (stream, cuts, chunksKept) => {
    const sink = new Collect();
    const parser = new FrameParser(sink, { maxStored: MAX_STORED, allowedKinds: CLIENT_KINDS, chunksKept });
    bounded('parse', () => typedOutcome(FRAME_ERRORS, () => {
      for (const c of splitAt(stream, cuts)) parser.push(c);
      parser.finish();
    }));
    for (const n of sink.asked) assert.ok(n <= MAX_STORED, `a payload buffer of ${n} bytes was asked for (limit ${MAX_STORED})`);
    for (const f of sink.frames) {
      assert.ok(CLIENT_KINDS.has(f.header.kind));
      assert.equal(f.payload.length, f.header.storedLength);
      if (f.header.codec === Codec.none) assert.equal(f.header.rawLength, f.header.storedLength);
    }
  }), fuzzParams());
});
