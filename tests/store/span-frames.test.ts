// The objects route sends what ChunkStore.readSpanFrames makes: each span's records turned into
// wire frames inside the buffer they were read into. A span read with gaps (objects not asked
// for between the ones asked for), compressed and raw payloads and an empty one must come out
// as exactly the frames of the objects asked for, in storage order, parsed back bit for bit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { FrameParser, type ObjectHeader } from '../../core/src/objects/frame.js';
import { MAX_OBJECT_BYTES, ObjectKind, zstdBound } from '../../core/src/objects/kinds.js';
import { readSpans, type SpanItem } from '../../daemon/src/store/read-spans.js';
import { makeObject, textLike, type TestObject } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';
import { append, BASES, openStore } from './store-harness.js';

function parseFrames(buf: Buffer): Array<{ header: ObjectHeader; payload: Buffer }> {
  const out: Array<{ header: ObjectHeader; payload: Buffer }> = [];
  const parser = new FrameParser(
    { begin: (h) => Buffer.alloc(h.storedLength), end: (header, payload) => out.push({ header, payload: Buffer.from(payload) }) },
    { maxStored: zstdBound(MAX_OBJECT_BYTES), allowedKinds: new Set([ObjectKind.data]) },
  );
  parser.push(buf);
  parser.finish();
  return out;
}

test('a span read as frames holds exactly the objects asked for, gaps dropped, payloads as stored', async (t) => {
  const store = await openStore(tempDir(t), BASES[1] as (typeof BASES)[number]);
  t.after(() => store.close());
  const objects: TestObject[] = [];
  for (let i = 0; i < 40; i++) {
    const raw = i % 3 === 0 ? textLike(2_000 + i * 700, i) : randomBytes(i === 7 ? 0 : 500 + i * 300);
    objects.push(makeObject(ObjectKind.data, raw, i % 3 === 0));
  }
  await append(store, objects);
  await store.flush();
  // every other object, plus a run of neighbours: spans with and without gaps
  const asked = objects.filter((_o, i) => i % 2 === 0 || (i > 20 && i < 26));
  const items: SpanItem[] = asked.map((o) => ({ digest: o.digest, location: store.locate(o.digest) as NonNullable<ReturnType<typeof store.locate>> }));
  const spans = readSpans(items);
  assert.ok(spans.some((s) => s.length > 1), 'some span holds several records');
  const got: Array<{ header: ObjectHeader; payload: Buffer }> = [];
  for (const span of spans) {
    const stored = await store.readStoredSpan(span);
    const read = await store.readSpanFrames(span);
    const frames = parseFrames(read.frames);
    read.release();
    assert.equal(frames.length, span.length);
    frames.forEach((f, i) => {
      assert.deepEqual(Buffer.from(f.header.digest), Buffer.from((span[i] as SpanItem).digest), 'storage order, the digest asked for');
      assert.ok(f.payload.equals((stored[i] as { stored: Buffer }).stored), 'the payload as stored');
    });
    got.push(...frames);
  }
  const byDigest = new Map(asked.map((o) => [o.digest.toString('hex'), o]));
  assert.equal(got.length, asked.length);
  for (const { header, payload } of got) {
    const o = byDigest.get(Buffer.from(header.digest).toString('hex')) as TestObject;
    assert.equal(header.codec, o.codec);
    assert.equal(header.rawLength, o.raw.length);
    assert.ok(payload.equals(o.stored));
  }
});

test('a span buffer handed back is read into again; one still held is never overwritten', async (t) => {
  const store = await openStore(tempDir(t), BASES[1] as (typeof BASES)[number]);
  t.after(() => store.close());
  // objects large enough for pooled buffers (spans of 64 KiB and more)
  const objects = Array.from({ length: 6 }, (_v, i) => makeObject(ObjectKind.data, randomBytes(100_000 + i * 1000), false));
  await append(store, objects);
  await store.flush();
  const span = (o: TestObject): SpanItem[] => [{ digest: o.digest, location: store.locate(o.digest) as NonNullable<ReturnType<typeof store.locate>> }];
  const payloadOf = (frames: Buffer): Buffer => Buffer.from((parseFrames(frames)[0] as { payload: Buffer }).payload);

  const a = await store.readSpanFrames(span(objects[0] as TestObject));
  const aBytes = Buffer.from(a.frames);
  const b = await store.readSpanFrames(span(objects[1] as TestObject));
  assert.notEqual(a.frames.buffer, b.frames.buffer, 'a buffer not handed back is not handed out again');
  const c = await store.readSpanFrames(span(objects[2] as TestObject));
  assert.ok(a.frames.equals(aBytes), 'the frames still held are untouched by later reads');
  assert.ok(payloadOf(a.frames).equals((objects[0] as TestObject).stored));

  b.release();
  const d = await store.readSpanFrames(span(objects[3] as TestObject));
  assert.equal(d.frames.buffer, b.frames.buffer, 'the buffer handed back is read into again');
  assert.ok(payloadOf(d.frames).equals((objects[3] as TestObject).stored), 'and holds the new span, whole');
  assert.ok(payloadOf(c.frames).equals((objects[2] as TestObject).stored));
  for (const r of [a, c, d]) r.release();
});
