// Every route's request body is bounded, generated from the route table: a body one byte past
// the route's limit is refused with BODY_TOO_LARGE (413) whether it declares its length or is
// streamed without one, and a streamed one is not read much past the limit (the daemon does
// not buffer what it will refuse). Upload streams are bounded per frame (FRAME_TOO_LARGE,
// refused at the frame's header) and the live WebSocket per message.

import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { MEDIA_DIGESTS, MEDIA_FRAMES } from '../../core/src/api/backup.js';
import { LIVE_PATH } from '../../core/src/api/live.js';
import { encodeFrameHeader } from '../../core/src/objects/frame.js';
import { Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import type { Route } from '../../daemon/src/http/route-types.js';
import { groupFixture } from './fixtures.js';
import { inProcessServer } from './in-process.js';

const { limits } = loadConfig({ env: {}, flags: {} }).config;
const STREAM_CHUNK = 64 * 1024;
/** A streamed body far past every limit (the largest is a few MiB) and the loopback's buffers. */
const STREAMED_BYTES = 256 * 1024 * 1024;

function codeOf(body: string): string | undefined {
  return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
}

const limitOf = (r: Route): number => r.options?.bodyLimit ?? limits.maxJsonBodyBytes;
const takesBody = (r: Route): boolean => r.method !== 'GET' && r.wsHandler === undefined;

/** A body of `total` bytes streamed without a length (in-process); `pulled` counts what the server read. */
function streamed(total: number): { body: Readable; pulled: () => number } {
  let pulled = 0;
  const body = Readable.from((function* () {
    for (let sent = 0; sent < total; sent += STREAM_CHUNK) {
      pulled += STREAM_CHUNK;
      yield Buffer.alloc(STREAM_CHUNK, 0x20);
    }
  })(), { objectMode: false });
  return { body, pulled: () => pulled };
}

/** Streams `total` bytes (chunked) until the answer's head arrives; how many were written by then. */
function sendUntilAnswered(url: string, method: string, headers: Record<string, string>, total: number): Promise<{ status: number; body: string; sentBefore: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      answered = true;
      const sentBefore = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (body += s));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, sentBefore });
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const chunk = Buffer.alloc(STREAM_CHUNK, 0x20);
    const pump = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

test('every route refuses a body past its limit with BODY_TOO_LARGE, without reading it all', async (t) => {
  const api = await inProcessServer(t);
  const f = await groupFixture(api, 'bodies');
  const auth = { authorization: `Bearer ${await api.token('admin')}` };
  const routes = api.routes.filter(takesBody);
  const url = (r: Route): string => r.url.replace('*', 'x').replace(':id', r.url.startsWith('/api/v1/backups') ? f.session : f.snapshot).replace(/:(\w+)/g, 'x');

  for (const r of routes) {
    const limit = limitOf(r);
    const type = r.options?.bodyLimit !== undefined ? MEDIA_DIGESTS : 'application/json';
    const res = await api.server.inject({ method: r.method, url: url(r), headers: { ...auth, 'content-type': type }, payload: Buffer.alloc(limit + 1, 0x20) });
    assert.equal(res.statusCode, 413, `${r.method} ${r.url} with ${limit + 1} bytes of ${type}: ${res.body}`);
    assert.equal(codeOf(res.body), 'BODY_TOO_LARGE', `${r.method} ${r.url}`);
  }

  // Streamed without a length over a real connection, one route per distinct limit: the
  // refusal comes while the client is still sending, long before the body's end, so the daemon
  // cannot have buffered it (what follows the limit is read and discarded by Node, not kept).
  const base = await api.server.listen({ host: '127.0.0.1', port: 0 });
  const byLimit = new Map<number, Route>();
  for (const r of routes) if (!byLimit.has(limitOf(r))) byLimit.set(limitOf(r), r);
  let mostSent = 0;
  for (const [limit, r] of byLimit) {
    const type = r.options?.bodyLimit !== undefined ? MEDIA_DIGESTS : 'application/json';
    const { status, body, sentBefore } = await sendUntilAnswered(`${base}${url(r)}`, r.method, { ...auth, 'content-type': type }, STREAMED_BYTES);
    assert.equal(status, 413, `${r.method} ${r.url} streamed: ${body}`);
    assert.equal(codeOf(body), 'BODY_TOO_LARGE');
    assert.ok(sentBefore < STREAMED_BYTES / 4, `${r.method} ${r.url}: answered after ${sentBefore} bytes of a body limited to ${limit}`);
    mostSent = Math.max(mostSent, sentBefore);
  }
  t.diagnostic(`${routes.length} routes with a body refused one byte past their limit; limits ${[...byLimit.keys()].join(', ')} bytes; streamed ${STREAMED_BYTES} byte bodies refused after at most ${mostSent} bytes were sent`);

  // An upload stream has no total limit (a backup is as large as it is), but every frame does:
  // a header declaring one byte more than maxFrameBytes is refused before its payload is read.
  const header = encodeFrameHeader({ kind: ObjectKind.data, codec: Codec.none, rawLength: limits.maxFrameBytes + 1, storedLength: limits.maxFrameBytes + 1, digest: Buffer.alloc(32) });
  const { body, pulled } = streamed(4 * limits.maxFrameBytes);
  const frames = Readable.from((async function* () {
    yield Buffer.from(header);
    yield* body;
  })());
  const res = await api.server.inject({ method: 'POST', url: `/api/v1/backups/${f.session}/chunks`, headers: { authorization: `Bearer ${f.token}`, 'content-type': MEDIA_FRAMES }, payload: frames });
  assert.equal(res.statusCode, 413, res.body);
  assert.equal(codeOf(res.body), 'FRAME_TOO_LARGE');
  assert.ok(pulled() < limits.maxFrameBytes, `read ${pulled()} bytes after a frame header past the limit`);
});

test('the live WebSocket closes on a message past its limit', async (t) => {
  const api = await inProcessServer(t);
  const ws = await api.server.injectWS(LIVE_PATH, { headers: { authorization: `Bearer ${await api.token('admin')}` } });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.send(Buffer.alloc(4097, 0x61));
  assert.equal(await closed, 1009, 'message too big');
});
