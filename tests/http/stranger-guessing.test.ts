// Token and password guessing against a real havend, from several loopback addresses playing
// separate clients: failures are limited per address and across all addresses (a botnet);
// a refused guess is answered AUTH_RATE_LIMITED / RATE_LIMITED (429, Retry-After) without the
// credential being checked; a success never resets a budget; valid clients of other addresses
// are never slowed down; /metrics counts the refusals.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createToken, setupCodeOf, startDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { bearer, send, type RawResponse } from '../helpers/raw-http.js';

const PER_ADDRESS = 5;
const GLOBAL = 12;
const WINDOW_SECONDS = 600;
const PASSWORD = 'correct horse battery staple';
/** Well formed, never issued. */
const FAKE = `hvn_0123456789abcdef_${'A'.repeat(43)}`;

function assertRefused(r: RawResponse, code: string, what: string): void {
  assert.equal(r.status, 429, `${what}: ${r.body}`);
  assert.equal(r.code, code, what);
  const retry = Number(r.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= WINDOW_SECONDS, `${what}: Retry-After ${r.headers['retry-after']}`);
}

test('guessing tokens and passwords is limited per address and globally; other clients are not slowed', async (t) => {
  const dataDir = tempDir(t);
  const d = await startDaemon(t, {
    dataDir,
    env: {
      HAVEND_LIMITS_AUTH_FAILURES_PER_ADDRESS: String(PER_ADDRESS),
      HAVEND_LIMITS_AUTH_FAILURES_GLOBAL: String(GLOBAL),
      HAVEND_LIMITS_AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
    },
  });
  const admin = createToken(dataDir, 'admin');
  const backup = createToken(dataDir, 'backup:laptop');
  const groups = (token: string, from: string) => send(d.url, '/api/v1/groups', { headers: bearer(token), from });
  const login = (password: string, from: string) => send(d.url, '/api/v1/auth/login', {
    method: 'POST', from, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }),
  });
  const setup = await send(d.url, '/api/v1/setup', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: setupCodeOf(d.output()), username: 'admin', password: PASSWORD }),
  });
  assert.equal(setup.status, 201, setup.body);
  // The admin's machine has authenticated: it is known good from here on.
  assert.equal((await groups(admin, '127.0.0.1')).status, 200);
  let refusedTokens = 0;
  let refusedPasswords = 0;

  // One address guessing tokens: its budget, then refusal unchecked, even of a right token
  // and on a public route (GET /auth/status would tell whose a token is).
  for (let i = 0; i < PER_ADDRESS; i++) {
    const r = await groups(FAKE, '127.0.0.2');
    assert.equal(r.status, 401, `guess ${i}`);
    assert.equal(r.code, 'UNAUTHORIZED');
    assert.equal((await groups(admin, '127.0.0.1')).status, 200, 'the admin is served between the guesses');
  }
  assertRefused(await groups(FAKE, '127.0.0.2'), 'AUTH_RATE_LIMITED', 'a sixth guess');
  assertRefused(await groups(admin, '127.0.0.2'), 'AUTH_RATE_LIMITED', 'a right token from the locked address');
  assertRefused(await send(d.url, '/api/v1/auth/status', { headers: bearer(FAKE), from: '127.0.0.2' }), 'AUTH_RATE_LIMITED', 'the public status route');
  refusedTokens += 3;
  assert.equal((await groups(backup, '127.0.0.1')).status, 200);

  // Passwords and tokens share an address's budget, and a success in between resets nothing:
  // holding one valid token does not buy more guesses at another.
  for (let i = 0; i < 2; i++) assert.equal((await login(`wrong ${i}`, '127.0.0.3')).code, 'LOGIN_FAILED');
  for (let i = 0; i < 2; i++) assert.equal((await groups(FAKE, '127.0.0.3')).status, 401);
  assert.equal((await groups(backup, '127.0.0.3')).status, 200, 'a right token before the budget is spent');
  assert.equal((await groups(FAKE, '127.0.0.3')).status, 401, 'the fifth failure');
  assertRefused(await groups(FAKE, '127.0.0.3'), 'AUTH_RATE_LIMITED', 'the success did not reset the budget');
  assertRefused(await login(PASSWORD, '127.0.0.3'), 'RATE_LIMITED', 'the right password from the locked address');
  refusedTokens += 1;
  refusedPasswords += 1;

  // A botnet: two more failures from a third address spend the global budget; a fresh address
  // is then refused before its first failure, right token or not, while the known-good
  // addresses keep working.
  for (let i = 0; i < GLOBAL - 2 * PER_ADDRESS; i++) assert.equal((await groups(FAKE, '127.0.0.4')).status, 401);
  assertRefused(await groups(FAKE, '127.0.0.5'), 'AUTH_RATE_LIMITED', 'a fresh address past the global budget');
  assertRefused(await groups(backup, '127.0.0.5'), 'AUTH_RATE_LIMITED', 'an address never seen succeed, past the global budget');
  refusedTokens += 2;
  assert.equal((await groups(admin, '127.0.0.1')).status, 200, 'the known-good address is served during the attack');
  const ok = await login(PASSWORD, '127.0.0.1');
  assert.equal(ok.status, 200, `the admin logs in during the attack: ${ok.body}`);

  const metrics = await send(d.url, '/metrics', { headers: bearer(admin) });
  assert.equal(metrics.status, 200);
  const value = (name: string, kind: string): number => Number(new RegExp(`^${name}\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(metrics.body)?.[1]);
  assert.equal(value('haven_auth_guesses_refused_total', 'token'), refusedTokens);
  assert.equal(value('haven_auth_guesses_refused_total', 'password'), refusedPasswords);
  assert.equal(value('haven_auth_failures_total', 'token'), PER_ADDRESS + 3 + (GLOBAL - 2 * PER_ADDRESS));
  assert.equal(value('haven_auth_failures_total', 'password'), 2);
  t.diagnostic(`refused ${refusedTokens} token and ${refusedPasswords} password guesses; limits ${PER_ADDRESS}/address, ${GLOBAL} global per ${WINDOW_SECONDS} s`);
});
