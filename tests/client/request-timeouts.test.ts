// A server that accepts and then says nothing must fail a command with SERVER_UNREACHABLE
// (exit 5) within the limit, while transfers that keep moving, or that wait on the client
// itself, must never be cut off.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpTransport, isHavenError, readAll } from '../../client/src/api/http-transport.js';
import { timeoutsFromSeconds } from '../../client/src/api/request-timeouts.js';
import { requestTimeouts } from '../../client/src/cli/client-config.js';
import { haven } from '../helpers/haven-cli.js';

const ONE_SECOND = { connectMs: 1000, idleMs: 1000 };
const DIGEST = 'ab'.repeat(32);

/** A TCP server that accepts every connection and never sends a byte (nor reads, unless `read`). */
async function silentServer(t: TestContext, read = true): Promise<{ port: number; accepted: () => number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    if (read) socket.resume();
    else socket.pause();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    // a socket the client left open would keep close() waiting: the test below checks it does not
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, accepted: () => sockets.size };
}

async function httpServer(t: TestContext, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

function transport(t: TestContext, server: string): HttpTransport {
  const api = new HttpTransport({ server, token: 'x', timeouts: ONE_SECOND });
  t.after(() => api.close());
  return api;
}

function unanswered(err: unknown): boolean {
  return isHavenError(err, 'SERVER_UNREACHABLE') && /no answer within 1 s/.test(err.message);
}

test('HAVEN_TIMEOUT_SECONDS sets the idle limit, connecting gets at most 30 s, nonsense is refused', () => {
  assert.deepEqual(requestTimeouts({}), { connectMs: 30_000, idleMs: 120_000 });
  assert.deepEqual(requestTimeouts({ HAVEN_TIMEOUT_SECONDS: '1' }), { connectMs: 1000, idleMs: 1000 });
  assert.deepEqual(requestTimeouts({ HAVEN_TIMEOUT_SECONDS: '600' }), { connectMs: 30_000, idleMs: 600_000 });
  assert.deepEqual(timeoutsFromSeconds(0.5), { connectMs: 500, idleMs: 500 });
  for (const bad of ['0', '-1', 'abc', '5m', '1e9']) {
    assert.throws(() => requestTimeouts({ HAVEN_TIMEOUT_SECONDS: bad }), /HAVEN_TIMEOUT_SECONDS/);
  }
});

test('haven snapshots and haven ls against a server that never answers exit 5 within seconds', { timeout: 30_000 }, async (t) => {
  const silent = await silentServer(t);
  const env = { HAVEN_SERVER: `http://127.0.0.1:${silent.port}`, HAVEN_TOKEN: 'x', HAVEN_TIMEOUT_SECONDS: '1' };
  for (const args of [['snapshots'], ['ls', 'latest']]) {
    const started = Date.now();
    const r = await haven([...args, '--json'], { env });
    const took = Date.now() - started;
    assert.equal(r.code, 5, `haven ${args.join(' ')}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.equal(out.error.code, 'SERVER_UNREACHABLE');
    assert.match(out.error.message, /no answer within 1 s/);
    // the process exited by itself: nothing (socket, timer, request) was left pending
    assert.ok(took < 8000, `haven ${args.join(' ')} took ${took} ms`);
  }
  assert.equal(silent.accepted(), 2, 'the connections were made: this is the idle limit, not a refused connection');
});

test('an https server that never completes the TLS handshake fails within the connect limit', { timeout: 30_000 }, async (t) => {
  const silent = await silentServer(t);
  const started = Date.now();
  const r = await haven(['snapshots', '--json'], { env: { HAVEN_SERVER: `https://127.0.0.1:${silent.port}`, HAVEN_TOKEN: 'x', HAVEN_TIMEOUT_SECONDS: '1' } });
  assert.equal(r.code, 5, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'SERVER_UNREACHABLE');
  assert.ok(Date.now() - started < 8000);
});

test('a body that keeps trickling is not cut off by a shorter idle limit', { timeout: 30_000 }, async (t) => {
  const url = await httpServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.flushHeaders();
    let sent = 0;
    const timer = setInterval(() => {
      res.write(Buffer.from([sent++]));
      if (sent === 10) {
        clearInterval(timer);
        res.end();
      }
    }, 300);
    res.on('close', () => clearInterval(timer));
  });
  const started = Date.now();
  const body = await transport(t, url).object('s', DIGEST);
  assert.deepEqual([...body], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(Date.now() - started >= 2700, 'the body took its 3 s');
});

test('a body that stops half way fails the reader with SERVER_UNREACHABLE and closes the connection', { timeout: 30_000 }, async (t) => {
  let closed: Promise<unknown> = Promise.resolve();
  const url = await httpServer(t, (req, res) => {
    closed = once(req.socket, 'close');
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write('the first bytes, then nothing');
  });
  await assert.rejects(transport(t, url).object('s', DIGEST), unanswered);
  await closed;
});

test('a server that stops reading an upload fails it; an upload that pauses on the client side does not', { timeout: 30_000 }, async (t) => {
  const deaf = await silentServer(t, false);
  const block = Buffer.alloc(1 << 20, 7);
  async function* endless(): AsyncGenerator<Buffer> {
    for (;;) yield block;
  }
  await assert.rejects(transport(t, `http://127.0.0.1:${deaf.port}`).uploadFramesRaw('s', endless()), unanswered);

  const url = await httpServer(t, async (req, res) => {
    const got = await readAll(req);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: got.length }));
  });
  async function* slowSource(): AsyncGenerator<Buffer> {
    yield block;
    await sleep(2500); // e.g. a content worker waiting for its next file
    yield block;
  }
  assert.deepEqual(await transport(t, url).uploadFramesRaw('s', slowSource()), { bytes: 2 << 20 });
});

test('a reader that stops reading for longer than the limit is not blamed on the server', { timeout: 30_000 }, async (t) => {
  const total = 16 << 20;
  const url = await httpServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
    const block = Buffer.alloc(1 << 20, 1);
    let sent = 0;
    const more = (): void => {
      while (sent < total) {
        sent += block.length;
        if (!res.write(block)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  const res = await transport(t, url).request('GET', '/big');
  let got = 0;
  let paused = false;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    got += chunk.length;
    if (!paused) {
      paused = true;
      await sleep(2500); // the body is far larger than every buffer on the way: the server waits on us
    }
  }
  assert.equal(got, total);
});
