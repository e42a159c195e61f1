// The appliance serves HTTPS off loopback with a certificate made at first start; clients
// pin its fingerprint. The daemon listens on the wildcard address (so it serves HTTPS) and
// every request goes to 127.0.0.1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, isHavenError } from '../../client/src/api/api-client.js';
import type { TlsInfo } from '../../core/src/api/system.js';
import { createToken, havend, setupCodeOf, startDaemon } from '../helpers/daemon.js';
import { send } from '../helpers/raw-http.js';
import { haven } from '../helpers/haven-cli.js';
import { sampleBackup } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';

const WILDCARD = '0.0.0.0:0';

function opensslFingerprint(certFile: string): string {
  const out = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  return (/=([0-9A-F:]+)/.exec(out)?.[1] as string).toLowerCase();
}

test('the right fingerprint backs up over HTTPS, a wrong one is refused before anything is sent, and the certificate survives restarts', async (t) => {
  const dataDir = tempDir(t);
  const token = createToken(dataDir, 'backup:web');
  const metricsToken = createToken(dataDir, 'metrics');
  const first = await startDaemon(t, { dataDir, listen: WILDCARD });
  assert.match(first.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const certFile = join(dataDir, 'tls', 'cert.pem');
  assert.equal(first.fingerprint, opensslFingerprint(certFile), 'the shown fingerprint is the SHA-256 of the certificate DER');
  assert.equal(statSync(join(dataDir, 'tls', 'key.pem')).mode & 0o777, 0o600);

  // right pin: a whole backup goes through, and the UI's route reports the same fingerprint
  const api = first.client(token);
  const backup = sampleBackup(12, 50_000);
  const committed = await pushBackup(api, 'web', backup);
  assert.equal(committed.snapshot.group, 'web');
  const tls = await api.json<TlsInfo>('GET', '/api/v1/system/tls');
  assert.equal(tls.enabled, true);
  assert.equal(tls.fingerprint, first.fingerprint);

  // wrong pin: a typed refusal naming both fingerprints, and the session was never started
  const wrong = 'ab:'.repeat(31) + 'ab';
  const bad = first.client(token, wrong);
  await assert.rejects(bad.startBackup({ group: 'web' }), (err: unknown) => {
    assert.ok(isHavenError(err, 'TLS_FINGERPRINT_MISMATCH'), String(err));
    assert.ok(err.message.includes(wrong) && err.message.includes(first.fingerprint as string), err.message);
    return true;
  });
  // no pin: the self-signed certificate is untrusted, and the refusal shows what to compare
  const unpinned = new ApiClient({ server: first.url, token });
  t.after(() => unpinned.close());
  await assert.rejects(unpinned.groups(), (err: unknown) => isHavenError(err, 'TLS_UNTRUSTED') && err.message.includes(first.fingerprint as string));
  const scrape = (await (await first.client(metricsToken).request('GET', '/metrics')).toArray()).join('');
  assert.match(scrape, /^haven_sessions_started_total 1$/m, 'the refused clients never reached the API');
  // a pin that is not a fingerprint at all is a usage error, not a connection attempt
  assert.throws(() => new ApiClient({ server: first.url, token, fingerprint: 'abc' }), (err: unknown) => isHavenError(err, 'VALIDATION_FAILED'));

  // restart: same certificate, same fingerprint; the old pin keeps working
  const pem = readFileSync(certFile, 'utf8');
  assert.equal(await first.stop(), 0);
  const second = await startDaemon(t, { dataDir, listen: WILDCARD });
  assert.equal(second.fingerprint, first.fingerprint);
  assert.equal(readFileSync(certFile, 'utf8'), pem);
  const again = second.client(token, first.fingerprint);
  const c2 = await pushBackup(again, 'web', sampleBackup(3, 10_000));
  assert.equal(c2.snapshot.parent, committed.snapshot.id);

  // havend info shows it (offline read of the state directory)
  const info = havend(['info', '--data', dataDir, '--listen', '0.0.0.0:8420']);
  assert.equal(info.code, 0, info.stderr);
  assert.ok(info.stdout.includes(`fingerprint: ${first.fingerprint}`), info.stdout);
  // no admin account yet: the one-time setup code is shown, as the daemon printed it
  const code = /^setup code: +([0-9A-Z-]{19}) /m.exec(info.stdout)?.[1];
  assert.ok(code && first.output().includes(code), info.stdout);
  const json = JSON.parse(havend(['info', '--data', dataDir, '--listen', '0.0.0.0:8420', '--json']).stdout) as { tls: { fingerprint: string }; running: { pid: number } | null };
  assert.equal(json.tls.fingerprint, first.fingerprint);
  assert.equal(json.running?.pid, second.proc.pid);
});

test('loopback serves plain HTTP and makes no certificate', async (t) => {
  const dataDir = tempDir(t);
  const token = createToken(dataDir, 'admin');
  const d = await startDaemon(t, { dataDir });
  assert.match(d.url, /^http:\/\//);
  assert.equal(d.fingerprint, null);
  const tls = await d.client(token).json<TlsInfo>('GET', '/api/v1/system/tls');
  assert.deepEqual({ enabled: tls.enabled, fingerprint: tls.fingerprint }, { enabled: false, fingerprint: null });
  assert.throws(() => statSync(join(dataDir, 'tls')), /ENOENT/);
  assert.match(havend(['info', '--data', dataDir]).stdout, /fingerprint: none: listening on loopback/);
});

test('a damaged certificate stops the daemon with a clear message instead of being replaced', async (t) => {
  const dataDir = tempDir(t);
  const d = await startDaemon(t, { dataDir, listen: WILDCARD });
  // the browser's session cookie is Secure over HTTPS (its other attributes: tests/http/stranger-cross-site.test.ts)
  const setup = await send(d.url, '/api/v1/setup', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: setupCodeOf(d.output()), username: 'admin', password: 'correct horse battery staple' }),
  });
  assert.equal(setup.status, 201, setup.body);
  assert.match(String(setup.headers['set-cookie']), /; HttpOnly; SameSite=Strict; .*; Secure/);
  assert.equal(await d.stop(), 0);
  const certFile = join(dataDir, 'tls', 'cert.pem');
  const pem = readFileSync(certFile, 'utf8');
  // a key that does not belong to the certificate
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dataDir, 'tls', 'key.pem')]);
  const r = havend(['serve', '--data', dataDir, '--listen', WILDCARD]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /TLS certificate in .*tls is unusable \(the key does not belong to the certificate\).*\[TLS_CERTIFICATE_INVALID\]/);
  assert.equal(readFileSync(certFile, 'utf8'), pem, 'the certificate clients pinned is left alone');
});

test('the haven CLI keeps backing up with the fingerprint it pinned across restarts, and refuses a regenerated certificate', async (t) => {
  const dataDir = tempDir(t);
  const token = createToken(dataDir, 'backup:home');
  const first = await startDaemon(t, { dataDir, listen: WILDCARD });
  const home = tempDir(t, 'haven-home-');
  const work = tempDir(t, 'haven-src-');
  writeFileSync(join(work, 'notes.txt'), 'first version\n');
  const env = { XDG_CONFIG_HOME: home, HAVEN_CACHE_DIR: join(home, 'cache') };

  const login = await haven(['login', first.url, '--token', token, '--fingerprint', first.fingerprint as string], { env });
  assert.equal(login.code, 0, login.stderr);
  const b1 = await haven(['backup', '--group', 'home', 'notes.txt'], { env, cwd: work });
  assert.equal(b1.code, 0, b1.stderr);
  assert.equal(await first.stop(), 0);

  // restart (on another port: the saved pin still applies, the server comes from HAVEN_SERVER)
  const second = await startDaemon(t, { dataDir, listen: WILDCARD });
  assert.equal(second.fingerprint, first.fingerprint);
  writeFileSync(join(work, 'notes.txt'), 'second version\n');
  const b2 = await haven(['backup', '--group', 'home', 'notes.txt'], { env: { ...env, HAVEN_SERVER: second.url }, cwd: work });
  assert.equal(b2.code, 0, b2.stderr);
  assert.equal((await second.client(token).snapshots('home')).snapshots.length, 2);
  assert.equal(await second.stop(), 0);

  // a new certificate (the appliance reinstalled, or someone in between): refused, exit 11
  rmSync(join(dataDir, 'tls'), { recursive: true });
  const third = await startDaemon(t, { dataDir, listen: WILDCARD });
  assert.notEqual(third.fingerprint, first.fingerprint);
  const b3 = await haven(['backup', '--group', 'home', 'notes.txt'], { env: { ...env, HAVEN_SERVER: third.url }, cwd: work });
  assert.equal(b3.code, 11, b3.stderr);
  assert.ok(b3.stderr.includes(first.fingerprint as string) && b3.stderr.includes(third.fingerprint as string), b3.stderr);
  assert.match(b3.stderr, /TLS_FINGERPRINT_MISMATCH/);
  assert.equal((await third.client(token).snapshots('home')).snapshots.length, 2, 'nothing reached the appliance');
});
