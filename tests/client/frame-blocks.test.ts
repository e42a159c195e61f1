// Frame blocks against a sink that holds its write callbacks, as a socket does until the
// kernel has the bytes: a block is handed out again only after its callback, the frames it
// carries parse back exactly, a frame larger than a block goes out alone, and roomy() is the
// backpressure once maxOutgoing blocks are unacknowledged.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FrameBlocks, type BlockSink } from '../../client/src/backup/frame-blocks.js';
import { FRAME_HEADER_BYTES, FrameParser, type ObjectHeader } from '../../core/src/objects/frame.js';
import { CLIENT_KINDS, Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { sha256 } from '../../core/src/objects/digest.js';

class HoldingSink implements BlockSink {
  readonly written: { copy: Buffer; chunk: Uint8Array; done: () => void }[] = [];
  write(chunk: Uint8Array, done: () => void): boolean {
    this.written.push({ copy: Buffer.from(chunk), chunk, done });
    return false;
  }
}

function header(payload: Buffer): ObjectHeader {
  return { kind: ObjectKind.data, codec: Codec.none, rawLength: payload.length, storedLength: payload.length, digest: sha256(payload) };
}

function parse(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let current: Buffer | null = null;
  const parser = new FrameParser(
    {
      begin: (h) => (current = Buffer.alloc(h.storedLength)),
      end: () => out.push(current as Buffer),
    },
    { maxStored: 1 << 20, allowedKinds: CLIENT_KINDS },
  );
  parser.push(bytes);
  parser.finish();
  return out;
}

test('blocks are reused only after the socket acknowledged them, and carry the frames exactly', async () => {
  const sink = new HoldingSink();
  const blocks = new FrameBlocks(4096, 2);
  const payloads = Array.from({ length: 40 }, (_, i) => randomBytes(500 + i * 37));
  const originals = payloads.map((p) => Buffer.from(p));
  let acknowledged = 0;
  let waited = 0;
  for (const p of payloads) {
    blocks.append(sink, header(p), p);
    p.fill(0); // the caller may reuse its bytes at once
    const wait = blocks.roomy();
    if (!wait) continue;
    // as the uploader does: wait until the socket acknowledges a block
    waited++;
    let released = false;
    void wait.then(() => (released = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(released, false, 'no room before an acknowledgement');
    assert.equal(sink.written.length - acknowledged, 2, 'two blocks outgoing');
    const oldest = sink.written[acknowledged++] as HoldingSink['written'][number];
    // until acknowledged, a block is not handed out again: it still holds what it held when written
    assert.deepEqual(Buffer.from(oldest.chunk), oldest.copy);
    oldest.done();
    await wait;
  }
  blocks.seal(sink);
  assert.ok(waited >= 3, `the sender waited ${waited} times`);
  for (const w of sink.written.slice(acknowledged)) assert.deepEqual(Buffer.from(w.chunk), w.copy);
  assert.deepEqual(parse(Buffer.concat(sink.written.map((w) => w.copy))), originals);
});

test('a frame larger than a block goes out in a buffer of its own, between sealed blocks', () => {
  const sink = new HoldingSink();
  const blocks = new FrameBlocks(1024, 4);
  const small = randomBytes(100);
  const large = randomBytes(5000);
  blocks.append(sink, header(small), small);
  blocks.append(sink, header(large), large);
  blocks.append(sink, header(small), small);
  blocks.seal(sink);
  assert.deepEqual(sink.written.map((w) => w.copy.length), [FRAME_HEADER_BYTES + 100, FRAME_HEADER_BYTES + 5000, FRAME_HEADER_BYTES + 100]);
  assert.deepEqual(parse(Buffer.concat(sink.written.map((w) => w.copy))).map((b) => b.length), [100, 5000, 100]);
});
