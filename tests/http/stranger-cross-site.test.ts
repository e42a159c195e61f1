// Another site's page in the admin's browser: the session cookie does it no good. Every
// state-changing route of the table (generated, like the auth matrix) refuses the cookie from
// a foreign Origin or Sec-Fetch-Site with CROSS_SITE_REFUSED before its handler runs; the
// appliance's own pages and bearer tokens are unaffected. Against a real havend: the live
// WebSocket refuses cross-origin upgrades whatever their credentials, and the cookie's
// attributes (HttpOnly, SameSite=Strict; Secure over HTTPS is checked by tests/tls/https-pinning.test.ts,
// which pays for an HTTPS daemon already).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { SESSION_COOKIE } from '../../core/src/api/auth.js';
import { LIVE_PATH, type LiveMessage } from '../../core/src/api/live.js';
import { isStateChanging } from '../../daemon/src/http/cross-site.js';
import { createToken, setupCodeOf, startDaemon, type Daemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { inProcessServer } from './in-process.js';
import { bearer, send } from '../helpers/raw-http.js';

const PASSWORD = 'correct horse battery staple';
const HOST = 'haven.example:8420';
const OWN = `http://${HOST}`;
const FOREIGN: Array<Record<string, string>> = [
  { origin: 'http://evil.example' },
  { origin: 'http://haven.example:8421' }, // same host name, another origin
  { origin: 'null' }, // a sandboxed frame
  { 'sec-fetch-site': 'cross-site' },
  { 'sec-fetch-site': 'same-site' },
];

function codeOf(body: string): string | undefined {
  return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
}

function sessionCookieOf(setCookie: string | string[] | undefined): { cookie: string; raw: string } {
  const raw = [setCookie ?? []].flat().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  assert.ok(raw, 'a session cookie is set');
  return { cookie: raw.split(';')[0] as string, raw };
}

test('every state-changing route refuses the session cookie from another site; own pages and tokens are served', async (t) => {
  const api = await inProcessServer(t);
  const code = readFileSync(join(api.dataDir, 'setup-code'), 'utf8').trim();
  const setup = await api.server.inject({ method: 'POST', url: '/api/v1/setup', headers: { host: HOST }, payload: { code, username: 'admin', password: PASSWORD } });
  assert.equal(setup.statusCode, 201, setup.body);
  const { cookie } = sessionCookieOf(setup.headers['set-cookie']);

  const changing = api.routes.filter((r) => isStateChanging(r.method));
  assert.ok(changing.length > 40, `${changing.length} state-changing routes`);
  let refusals = 0;
  for (const r of changing) {
    // Refused in the first hook: no URL parameter or body is looked at.
    const url = r.url.replace('*', 'x').replace(/:(\w+)/g, 'x');
    for (const foreign of FOREIGN) {
      const res = await api.server.inject({ method: r.method, url, headers: { host: HOST, cookie, ...foreign }, payload: {} });
      assert.equal(res.statusCode, 403, `${r.method} ${r.url} with ${JSON.stringify(foreign)}: ${res.body}`);
      assert.equal(codeOf(res.body), 'CROSS_SITE_REFUSED', `${r.method} ${r.url}`);
      refusals++;
    }
  }
  t.diagnostic(`${refusals} cross-site requests refused over ${changing.length} state-changing routes`);

  // Nothing happened: the session lives (logout was refused), no token was made.
  const own = { host: HOST, cookie, origin: OWN };
  const session = await api.server.inject({ method: 'GET', url: '/api/v1/auth/session', headers: own });
  assert.equal(session.statusCode, 200, session.body);
  const listed = await api.server.inject({ method: 'GET', url: '/api/v1/tokens', headers: own });
  assert.deepEqual(listed.json(), { tokens: [] });
  // A read from another site is anonymous, not refused: it changes nothing and learns nothing.
  assert.equal((await api.server.inject({ method: 'GET', url: '/api/v1/tokens', headers: { host: HOST, cookie, origin: 'http://evil.example' } })).statusCode, 401);

  // The appliance's own pages, and clients that are not browsers, use the cookie.
  const create = (headers: Record<string, string>) => api.server.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: { name: 'ok', scope: 'metrics' } });
  for (const headers of [own as Record<string, string>, { host: HOST, cookie, 'sec-fetch-site': 'same-origin' }, { host: HOST, cookie, 'sec-fetch-site': 'none' }, { host: HOST, cookie }]) {
    const res = await create(headers);
    assert.equal(res.statusCode, 201, `${JSON.stringify(headers)}: ${res.body}`);
  }
  // A bearer token is not ambient: no other site can make a browser send it.
  const admin = await api.token('admin');
  const res = await create({ host: HOST, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', ...bearer(admin) });
  assert.equal(res.statusCode, 201, res.body);
});

/** Opens the live socket: the first message, or the HTTP status of a refused upgrade. */
function openLive(d: Daemon, headers: Record<string, string>): Promise<LiveMessage | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${d.url.replace('http', 'ws')}${LIVE_PATH}`, { headers });
    ws.once('message', (data) => {
      resolve(JSON.parse(String(data)) as LiveMessage);
      ws.close();
    });
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
}

test('the live WebSocket refuses cross-origin upgrades whatever their credentials; cookie attributes', async (t) => {
  const dataDir = tempDir(t);
  const d = await startDaemon(t, { dataDir });
  const setup = await send(d.url, '/api/v1/setup', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: setupCodeOf(d.output()), username: 'admin', password: PASSWORD }),
  });
  assert.equal(setup.status, 201, setup.body);
  const login = await send(d.url, '/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  const { cookie, raw } = sessionCookieOf(login.headers['set-cookie']);
  for (const attribute of [/; HttpOnly/, /; SameSite=Strict/, /; Path=\//, /; Max-Age=\d+/]) assert.match(raw, attribute);
  assert.doesNotMatch(raw, /Secure/, 'plain HTTP on loopback');

  const admin = createToken(dataDir, 'admin');
  const origin = d.url;
  assert.equal((await openLive(d, { cookie, origin }) as LiveMessage).type, 'state', 'the UI\'s own page');
  assert.equal((await openLive(d, bearer(admin)) as LiveMessage).type, 'state', 'a client that is not a browser');
  for (const foreign of ['http://evil.example', 'null', d.url.replace('127.0.0.1', 'localhost')]) {
    assert.equal(await openLive(d, { cookie, origin: foreign }), 403, `cookie from ${foreign}`);
    assert.equal(await openLive(d, { ...bearer(admin), origin: foreign }), 403, `token from ${foreign}`);
  }
  const refused = await send(d.url, LIVE_PATH, { headers: { ...bearer(admin), origin: 'http://evil.example', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
  assert.equal(refused.code, 'CROSS_SITE_REFUSED');
});
