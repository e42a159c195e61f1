// Slow-loris against a real havend with small timeouts: an upload stream that trickles one
// byte at a time inside a frame, and request headers trickled the same way, are cut off and
// their connections closed. While the upload stalls, another backup commits and a garbage
// collection runs to the end (the store is not held); afterwards the stalled session's stream
// slot is free again, the frame completed before the stall was kept, and the session commits.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MEDIA_BITMAP, MEDIA_DIGESTS, MEDIA_FRAMES } from '../../core/src/api/backup.js';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { createToken, startDaemon, type Daemon } from '../helpers/daemon.js';
import { fileEntry, frameOf, makeObject, textLike, treeOf } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';
import { bearer, send } from '../helpers/raw-http.js';

const HEADERS_TIMEOUT_MS = 1000;
const FRAME_TIMEOUT_MS = 8000;
const TRICKLE_MS = 250;

/** A raw connection: what a slow client controls byte by byte. */
class RawConnection {
  readonly socket: net.Socket;
  received = '';
  readonly closed: Promise<number>;
  private trickling = true;

  constructor(d: Daemon) {
    const url = new URL(d.url);
    this.socket = net.connect({ host: url.hostname, port: Number(url.port) });
    this.socket.setEncoding('latin1');
    this.socket.on('data', (s: string) => (this.received += s));
    this.socket.on('error', () => undefined); // a reset is one way of being cut off
    const opened = Date.now();
    this.closed = once(this.socket, 'close').then(() => {
      this.trickling = false;
      return Date.now() - opened;
    });
  }

  /** Sends `bytes` one at a time until the connection closes (or `max` bytes). */
  async trickle(bytes: Buffer, chunked: boolean): Promise<void> {
    for (const b of bytes) {
      if (!this.trickling || this.socket.destroyed) return;
      this.socket.write(chunked ? Buffer.concat([Buffer.from('1\r\n'), Buffer.from([b]), Buffer.from('\r\n')]) : Buffer.from([b]));
      await sleep(TRICKLE_MS);
    }
  }
}

function chunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

test('trickled uploads and headers time out without holding the store', { timeout: 120_000 }, async (t) => {
  const dataDir = tempDir(t);
  const d = await startDaemon(t, {
    dataDir,
    env: {
      HAVEND_LIMITS_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HAVEND_LIMITS_FRAME_TIMEOUT_MS: String(FRAME_TIMEOUT_MS),
      HAVEND_LIMITS_MAX_STREAMS_PER_SESSION: '1',
    },
  });
  const admin = createToken(dataDir, 'admin');
  const slow = createToken(dataDir, 'backup:slow');
  const other = createToken(dataDir, 'backup:other');
  const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });
  const startSession = async (token: string, group: string): Promise<string> => {
    const r = await send(d.url, '/api/v1/backups', { method: 'POST', headers: json(token), body: JSON.stringify({ group }) });
    assert.equal(r.status, 201, r.body);
    return (JSON.parse(r.body) as { session: string }).session;
  };
  const upload = (token: string, session: string, frames: Buffer[]) => send(d.url, `/api/v1/backups/${session}/chunks`, {
    method: 'POST', headers: { ...bearer(token), 'content-type': MEDIA_FRAMES }, body: Buffer.concat(frames),
  });
  const commit = (token: string, session: string, root: Buffer) => send(d.url, `/api/v1/backups/${session}/commit`, {
    method: 'POST', headers: json(token), body: JSON.stringify({ root: toHex(root) }),
  });

  // The slow client: one whole frame, then half of the next, then a byte every TRICKLE_MS.
  const kept = makeObject(ObjectKind.data, textLike(40_000, 1));
  const torn = makeObject(ObjectKind.data, textLike(40_000, 2));
  const session = await startSession(slow, 'slow');
  const stalled = new RawConnection(d);
  stalled.socket.write(
    `POST /api/v1/backups/${session}/chunks HTTP/1.1\r\nHost: ${new URL(d.url).host}\r\nAuthorization: Bearer ${slow}\r\n`
    + `Content-Type: ${MEDIA_FRAMES}\r\nTransfer-Encoding: chunked\r\n\r\n`,
  );
  const tornFrame = Buffer.concat(frameOf(torn));
  stalled.socket.write(chunk(Buffer.concat([...frameOf(kept), tornFrame.subarray(0, 20_000)])));
  const uploadTrickle = stalled.trickle(tornFrame.subarray(20_000), true);

  // Headers trickled, and a connection that never says anything.
  const headers = new RawConnection(d);
  const headerTrickle = headers.trickle(Buffer.from(`GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(400)}\r\n\r\n`), false);
  const silent = new RawConnection(d);

  // Meanwhile: the stalled session's stream slot is taken, but another backup commits and a
  // garbage collection runs to the end.
  let stalledOpen = true;
  void stalled.closed.then(() => (stalledOpen = false));
  const busy = await upload(slow, session, []);
  assert.equal(busy.status, 400, `a second stream while the first stalls: ${busy.body}`);
  assert.match(busy.body, /at most 1 parallel streams/);
  const otherSession = await startSession(other, 'other');
  const file = makeObject(ObjectKind.data, textLike(30_000, 3));
  const otherRoot = treeOf([fileEntry('f', [file])]);
  assert.equal((await upload(other, otherSession, [...frameOf(file), ...frameOf(otherRoot)])).status, 200);
  const otherCommit = await commit(other, otherSession, otherRoot.digest);
  assert.equal(otherCommit.status, 200, otherCommit.body);
  const gc = await send(d.url, '/api/v1/gc', { method: 'POST', headers: bearer(admin) });
  assert.equal(gc.status, 202, gc.body);
  const task = (JSON.parse(gc.body) as { task: TaskInfo }).task;
  let state = task.status;
  for (let i = 0; i < 300 && state === 'running'; i++) {
    await sleep(100);
    state = (JSON.parse((await send(d.url, `/api/v1/tasks/${task.id}`, { headers: bearer(admin) })).body) as TaskInfo).status;
  }
  assert.equal(state, 'succeeded', 'the garbage collection ran to the end during the stall');
  assert.ok(stalledOpen, `the upload was still stalled while the backup and the collection ran (raise FRAME_TIMEOUT_MS if this machine is that slow)`);

  // The slow connections are cut off: the trickled headers with a 408, the silent one too.
  await Promise.all([headers.closed, silent.closed, headerTrickle]);
  assert.match(headers.received, /^HTTP\/1\.1 408/);
  assert.doesNotMatch(headers.received, /"status":"ok"/, 'the trickled request was never served');
  const uploadLasted = await stalled.closed;
  await uploadTrickle;
  assert.ok(uploadLasted >= FRAME_TIMEOUT_MS - 100, `the stalled upload was cut after ${uploadLasted} ms`);
  assert.equal((await send(d.url, '/api/v1/health')).status, 200);

  // The session is open, its stream slot free, the whole frame before the stall kept.
  const info = await send(d.url, `/api/v1/backups/${session}`, { headers: bearer(slow) });
  assert.equal((JSON.parse(info.body) as { state: string }).state, 'open');
  const has = await send(d.url, `/api/v1/backups/${session}/has`, {
    method: 'POST', headers: { ...bearer(slow), 'content-type': MEDIA_DIGESTS, accept: MEDIA_BITMAP }, body: Buffer.concat([kept.digest, torn.digest]),
  });
  assert.equal(has.status, 200, has.body);
  assert.equal(Buffer.from(has.body, 'utf8')[0], 0b01, 'the complete frame was kept, the torn one not');
  const root = treeOf([fileEntry('kept', [kept]), fileEntry('torn', [torn])]);
  assert.equal((await upload(slow, session, [...frameOf(torn), ...frameOf(root)])).status, 200, 'the stream slot is free again');
  const done = await commit(slow, session, root.digest);
  assert.equal(done.status, 200, done.body);
});
