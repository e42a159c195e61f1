// What a client or peer sends the daemon, through its real API server (route table,
// parsers, error handler) over a real store: upload streams of damaged frames (the frame
// ingest's parsing, batching and verification), `has` batches of any size and type, and
// change-feed cursors of any shape. Every answer is a success or a catalogue error with its
// status, never INTERNAL, and the session still answers afterwards.

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { MEDIA_DIGESTS, MEDIA_FRAMES } from '../../core/src/api/backup.js';
import type { ChangesResponse } from '../../core/src/api/replication.js';
import { ERRORS, isErrorCode, type ErrorCode } from '../../core/src/errors.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { fileEntry, frameOf, makeObject, treeOf, type TestObject } from '../helpers/objects.js';
import { groupFixture, type GroupFixture } from '../http/fixtures.js';
import { inProcessServer, type InProcess } from '../http/in-process.js';
import { boundedAsync, fuzzParams, mutate, mutationsArb, splitAt, testTimeout } from './runs.js';

/** An inject() answer checked for the typed-errors property; returns the code (or null on success). */
function answerCode(res: { statusCode: number; body: string }, allowed: readonly ErrorCode[]): ErrorCode | null {
  if (res.statusCode < 300) return null;
  const body = JSON.parse(res.body) as { error?: { code?: unknown } };
  const code = body.error?.code;
  assert.ok(isErrorCode(code), `status ${res.statusCode} without a catalogue code: ${res.body.slice(0, 200)}`);
  assert.equal(res.statusCode, ERRORS[code].status, `${code} answered with its own status`);
  assert.ok(allowed.includes(code), `${code}: ${res.body.slice(0, 300)}`);
  return code;
}

interface Setup {
  api: InProcess;
  fixture: GroupFixture;
  auth: { authorization: string };
}

async function setup(t: TestContext): Promise<Setup> {
  const api = await inProcessServer(t);
  const fixture = await groupFixture(api, 'fuzz');
  return { api, fixture, auth: { authorization: `Bearer ${fixture.token}` } };
}

/** Real objects of the kinds a client uploads: data (some compressed), lists of chunks, trees. */
const objectsArb: fc.Arbitrary<TestObject[]> = fc.array(
  fc.oneof(
    fc.tuple(fc.uint8Array({ maxLength: 2000 }), fc.boolean()).map(([raw, zstd]) => makeObject(ObjectKind.data, raw, zstd)),
    fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 3 }).map((chunks) => {
      const data = chunks.map((c) => makeObject(ObjectKind.data, c));
      return treeOf(data.length === 0 ? [] : [fileEntry('f', data)]);
    }),
  ),
  { minLength: 1, maxLength: 5 },
);

const UPLOAD_ERRORS: ErrorCode[] = ['FRAME_MALFORMED', 'FRAME_TOO_LARGE', 'FRAME_TORN', 'UNKNOWN_KIND', 'UNKNOWN_CODEC', 'DIGEST_MISMATCH', 'LENGTH_MISMATCH', 'OBJECT_UNDECODABLE', 'VALIDATION_FAILED'];

async function uploads({ api, fixture, auth }: Setup): Promise<void> {
  const url = `/api/v1/backups/${fixture.session}`;
  const streamArb = fc.tuple(objectsArb, fc.option(mutationsArb, { nil: undefined }), fc.array(fc.nat(), { maxLength: 6 }));
  await fc.assert(fc.asyncProperty(streamArb, async ([objects, mutations, cuts]) => {
    const whole = Buffer.concat(objects.flatMap(frameOf));
    const sent = mutations ? Buffer.from(mutate(whole, mutations)) : whole;
    const res = await boundedAsync('chunks', () => api.server.inject({
      method: 'POST', url: `${url}/chunks`, headers: { ...auth, 'content-type': MEDIA_FRAMES }, payload: Readable.from(splitAt(sent, cuts).map((c) => Buffer.from(c))),
    }), 10_000);
    const code = answerCode(res, UPLOAD_ERRORS);
    if (!mutations) assert.equal(code, null, `an undamaged stream is accepted: ${res.body}`);
    // whatever the stream did, the session answers, and what was accepted is there
    const has = await api.server.inject({ method: 'POST', url: `${url}/has`, headers: { ...auth, 'content-type': MEDIA_DIGESTS }, payload: Buffer.concat(objects.map((o) => o.digest)) });
    assert.equal(has.statusCode, 200, has.body);
    if (code === null && !mutations) {
      objects.forEach((_, i) => assert.ok(((has.rawPayload[i >> 3] as number) & (1 << (i & 7))) !== 0, `object ${i} stored`));
    }
  }), fuzzParams(0.25));
}

async function hasBatches({ api, fixture, auth }: Setup): Promise<void> {
  const url = `/api/v1/backups/${fixture.session}/has`;
  const bodyArb = fc.oneof(
    fc.nat({ max: 70 }).chain((n) => fc.uint8Array({ minLength: n * 32, maxLength: n * 32 })),
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom(65536, 65537).map((n) => new Uint8Array(n * 32)),
  );
  const typeArb = fc.constantFrom(MEDIA_DIGESTS, MEDIA_DIGESTS, 'application/json', 'application/octet-stream', 'text/plain', `${MEDIA_DIGESTS}; charset=utf-8`, undefined);
  await fc.assert(fc.asyncProperty(bodyArb, typeArb, async (body, type) => {
    const headers: Record<string, string> = { ...auth };
    if (type !== undefined) headers['content-type'] = type;
    const res = await boundedAsync('has', () => api.server.inject({ method: 'POST', url, headers, payload: Buffer.from(body) }), 10_000);
    const code = answerCode(res, ['HAS_BATCH_INVALID', 'VALIDATION_FAILED', 'BODY_TOO_LARGE']);
    if (code === null) {
      assert.equal(body.length % 32, 0, 'only whole digests are answered');
      assert.equal(res.rawPayload.length, Math.ceil(body.length / 32 / 8), 'one bit per digest');
    }
  }), fuzzParams(0.5));
}

async function cursors({ api }: Setup): Promise<void> {
  const token = await api.token('admin');
  const head = (await api.server.inject({ method: 'GET', url: '/api/v1/replication/changes', headers: { authorization: `Bearer ${token}` } })).json() as ChangesResponse;
  const numberish = fc.oneof(fc.nat().map(String), fc.constantFrom('', '-1', '0', '1.5', '1e3', '9007199254740993', '1e400', 'NaN', '0x10', ' 1', '١'), fc.string({ maxLength: 6 }));
  const queryArb = fc.record({
    epoch: fc.option(fc.oneof(fc.constant(head.cursor.epoch), fc.string({ unit: 'binary', maxLength: 140 })), { nil: undefined }),
    seq: fc.option(numberish, { nil: undefined }),
    limit: fc.option(numberish, { nil: undefined }),
    // wait only 0 or invalid: a valid wait is a long poll of up to 30 s
    wait: fc.option(fc.constantFrom('0', '', 'x', '-1', '31', '0.5'), { nil: undefined }),
    extra: fc.option(fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })), { nil: undefined }),
  });
  await fc.assert(fc.asyncProperty(queryArb, async (q) => {
    const params = new URLSearchParams();
    for (const k of ['epoch', 'seq', 'limit', 'wait'] as const) if (q[k] !== undefined) params.append(k, q[k] as string);
    if (q.extra) params.append(q.extra[0], q.extra[1]);
    const res = await boundedAsync('changes', () => api.server.inject({ method: 'GET', url: `/api/v1/replication/changes?${params}`, headers: { authorization: `Bearer ${token}` } }), 10_000);
    const code = answerCode(res, ['VALIDATION_FAILED']);
    if (code !== null) return;
    const page = res.json() as ChangesResponse;
    assert.ok(Number.isSafeInteger(page.cursor.seq) && page.cursor.seq >= 0, `cursor ${JSON.stringify(page.cursor)}`);
    assert.equal(page.cursor.epoch, head.cursor.epoch, 'the answer is always in the feed\'s own epoch');
    if (page.reset) assert.ok(q.epoch !== undefined && q.seq !== undefined && q.epoch !== head.cursor.epoch, 'reset only for a cursor of another epoch');
    for (const c of page.changes) assert.ok(c.seq > 0 && c.seq <= Math.max(head.cursor.seq, page.cursor.seq));
  }), fuzzParams(0.5));
}

// One server for the three: its setup costs more than a hundred cases.
test('daemon fuzz', { timeout: testTimeout(0.25) + 2 * testTimeout(0.5) }, async (t) => {
  const s = await setup(t);
  await t.test('damaged upload streams end with a typed frame error, and the session goes on', () => uploads(s));
  await t.test('has batches of any size and type answer a bitmap or HAS_BATCH_INVALID', () => hasBatches(s));
  await t.test('change-feed cursors of any shape answer a page or VALIDATION_FAILED', () => cursors(s));
});
