// Accounts, sessions and the refusal of anonymous callers, against a real havend: the setup
// code (printed, in a 0600 file, spent once), cookie flags, login rate limit, logout, the
// WebSocket's admission, and API tokens still serving the CLI.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { SESSION_COOKIE } from '../../core/src/api/auth.js';
import { LIVE_CLOSE, LIVE_PATH, type LiveMessage } from '../../core/src/api/live.js';
import { execFileSync } from 'node:child_process';
import { HAVEND, createToken, setupCodeOf, startDaemon, type Daemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

const PASSWORD = 'correct horse battery staple';

async function call(d: Daemon, method: string, path: string, options: { body?: unknown; cookie?: string; token?: string; origin?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.cookie) headers.cookie = options.cookie;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.origin) headers.origin = options.origin;
  const res = await fetch(`${d.url}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null, setCookie: res.headers.getSetCookie() };
}

function errorCode(body: Record<string, unknown> | null): unknown {
  return (body?.error as { code?: unknown } | undefined)?.code;
}

function cookieOf(setCookie: string[]): string {
  const c = setCookie.find((s) => s.startsWith(`${SESSION_COOKIE}=`));
  assert.ok(c, 'a session cookie is set');
  return c.split(';')[0] as string;
}

/** Opens the live socket; resolves with the first message, or rejects with the HTTP status of a refused upgrade. */
function openLive(d: Daemon, headers: Record<string, string>): Promise<{ ws: WebSocket; first: LiveMessage }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${d.url.replace('http', 'ws')}${LIVE_PATH}`, { headers });
    ws.once('message', (data) => resolve({ ws, first: JSON.parse(String(data)) as LiveMessage }));
    ws.once('unexpected-response', (req, res) => {
      req.destroy(); // ws leaves a refused upgrade's connection to us
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed ${code} before the state arrived`)));
  });
}

async function setUp(t: TestContext) {
  const dataDir = tempDir(t);
  const d = await startDaemon(t, { dataDir });
  return { dataDir, d };
}

test('first run: setup code printed and in a 0600 file, spent once; setup closes for good', async (t) => {
  const { dataDir, d } = await setUp(t);
  const code = setupCodeOf(d.output());
  const file = join(dataDir, 'setup-code');
  assert.equal(readFileSync(file, 'utf8').trim(), code);
  assert.equal(statSync(file).mode & 0o777, 0o600);

  assert.deepEqual((await call(d, 'GET', '/api/v1/auth/status')).body, { setupRequired: true, user: null });
  const wrong = await call(d, 'POST', '/api/v1/setup', { body: { code: 'AAAA-AAAA-AAAA-AAAA', username: 'admin', password: PASSWORD } });
  assert.equal(wrong.status, 403);
  assert.equal(errorCode(wrong.body), 'SETUP_CODE_INVALID');
  const weak = await call(d, 'POST', '/api/v1/setup', { body: { code, username: 'admin', password: 'short' } });
  assert.equal(errorCode(weak.body), 'VALIDATION_FAILED');

  // case and dashes do not matter when typing the code
  const typed = code.toLowerCase().replace(/-/g, ' ');
  const ok = await call(d, 'POST', '/api/v1/setup', { body: { code: typed, username: 'admin', password: PASSWORD } });
  assert.equal(ok.status, 201);
  assert.equal(ok.body?.name, 'admin');
  const raw = ok.setCookie.find((s) => s.startsWith(SESSION_COOKIE)) ?? '';
  assert.match(raw, /HttpOnly/);
  assert.match(raw, /SameSite=Strict/);
  assert.doesNotMatch(raw, /Secure/, 'plain HTTP on loopback: a Secure cookie would never come back');
  assert.ok(!existsSync(file), 'the spent code file is removed');

  const again = await call(d, 'POST', '/api/v1/setup', { body: { code, username: 'eve', password: PASSWORD } });
  assert.equal(again.status, 409);
  assert.equal(errorCode(again.body), 'SETUP_DONE');
  const cookie = cookieOf(ok.setCookie);
  const status = await call(d, 'GET', '/api/v1/auth/status', { cookie });
  assert.equal(status.body?.setupRequired, false);
  assert.equal((status.body?.user as { via: string }).via, 'session');

  // a restart neither reopens setup nor forgets the session
  await d.stop();
  const d2 = await startDaemon(t, { dataDir });
  assert.doesNotMatch(d2.output(), /setup code/);
  assert.equal((await call(d2, 'GET', '/api/v1/auth/session', { cookie })).status, 200);
});

test('nothing answers without auth but health, status, login and setup; tokens still serve the CLI', async (t) => {
  const { dataDir, d } = await setUp(t);
  const refused: Array<[string, string, unknown?]> = [
    ['GET', '/api/v1/groups'], ['GET', '/api/v1/groups/laptop/snapshots'], ['GET', '/api/v1/snapshots/abcdef12'],
    ['GET', '/api/v1/snapshots/abcdef12/tree?path=/'], ['GET', '/api/v1/snapshots/abcdef12/content?path=/a'],
    ['GET', '/api/v1/snapshots/abcdef12/archive?path=/'], ['DELETE', '/api/v1/snapshots/abcdef12'],
    ['POST', '/api/v1/backups', { group: 'laptop' }], ['GET', '/api/v1/tokens'], ['POST', '/api/v1/tokens', { name: 'x', scope: 'admin' }],
    ['GET', '/api/v1/auth/session'], ['POST', '/api/v1/auth/logout', {}], ['GET', LIVE_PATH],
  ];
  for (const [method, path, body] of refused) {
    const r = await call(d, method, path, { body, cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` });
    assert.equal(r.status, 401, `${method} ${path}`);
    assert.equal(errorCode(r.body), 'UNAUTHORIZED', `${method} ${path}`);
  }
  assert.equal((await call(d, 'GET', '/api/v1/health')).status, 200);
  await assert.rejects(openLive(d, {}), /HTTP 401/)

  const token = createToken(dataDir, 'admin')
  assert.equal((await call(d, 'GET', '/api/v1/groups', { token })).status, 200)
  assert.equal((await call(d, 'GET', '/api/v1/auth/session', { token })).body?.via, 'token');
  const { ws, first } = await openLive(d, { authorization: `Bearer ${token}` });
  assert.equal(first.type, 'state')
  ws.close();
  const backupOnly = createToken(dataDir, 'backup:laptop');
  await assert.rejects(openLive(d, { authorization: `Bearer ${backupOnly}` }), /HTTP 403/, 'the live state is for admins');
});

test('login: wrong passwords are rate limited; logout ends the session and closes its WebSocket', async (t) => {
  const { d } = await setUp(t);
  const code = setupCodeOf(d.output());
  const setup = await call(d, 'POST', '/api/v1/setup', { body: { code, username: 'admin', password: PASSWORD } });
  assert.equal(setup.status, 201);

  for (let i = 0; i < 5; i++) {
    const r = await call(d, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: `wrong ${i}` } });
    assert.equal(errorCode(r.body), 'LOGIN_FAILED', `attempt ${i}`);
  }
  const limited = await call(d, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: PASSWORD } });
  assert.equal(limited.status, 429, 'even the right password waits out the lockout');
  assert.equal(errorCode(limited.body), 'RATE_LIMITED');
  // another account name is limited separately (by address only after more failures)
  assert.equal(errorCode((await call(d, 'POST', '/api/v1/auth/login', { body: { username: 'root', password: 'x' } })).body), 'LOGIN_FAILED');

  const cookie = cookieOf(setup.setCookie);
  const origin = d.url;
  const { ws, first } = await openLive(d, { cookie, origin });
  assert.equal(first.type, 'state');
  // another site's page cannot use the cookie, even where SameSite is not honoured
  await assert.rejects(openLive(d, { cookie, origin: 'http://evil.example' }), /HTTP 403/);
  assert.equal((await call(d, 'GET', '/api/v1/groups', { cookie, origin: 'http://evil.example' })).status, 401);

  const closed = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
  const out = await call(d, 'POST', '/api/v1/auth/logout', { cookie, origin, body: {} });
  assert.equal(out.status, 204);
  assert.match(out.setCookie.join(), /Max-Age=0/);
  assert.equal(await closed, LIVE_CLOSE.sessionEnded);
  assert.equal((await call(d, 'GET', '/api/v1/groups', { cookie })).status, 401, 'the old cookie is dead');
});

test('havend setup creates the admin from the console, spends the setup code, and only once', async (t) => {
  const { dataDir, d } = await setUp(t);
  const file = join(dataDir, 'setup-code');
  assert.ok(existsSync(file));
  const run = (input: string) => {
    try {
      return { code: 0, out: execFileSync(HAVEND, ['setup', '--data', dataDir, '--user', 'ops'], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }) };
    } catch (err) {
      const e = err as { status: number; stderr: string };
      return { code: e.status, out: e.stderr };
    }
  };
  const short = run('short\n');
  assert.equal(short.code, 2, 'a short password is a usage error');
  const ok = run(`${PASSWORD}\n`);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /admin account ops created/);
  assert.ok(!existsSync(file), 'the setup code is spent');
  // the running daemon sees the account at once: setup is closed, the password signs in
  assert.equal((await call(d, 'GET', '/api/v1/auth/status')).body?.setupRequired, false);
  const login = await call(d, 'POST', '/api/v1/auth/login', { body: { username: 'ops', password: PASSWORD } });
  assert.equal(login.status, 200);
  const again = run(`${PASSWORD}\n`);
  assert.equal(again.code, 1);
  assert.match(again.out, /SETUP_DONE/);
});
