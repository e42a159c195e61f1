import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode, type MsgMap } from '../../core/src/objects/msgpack.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { SNAPSHOT_WARNINGS_KEPT, WARNING_MAX_CHARS } from '../../core/src/api/wire-constants.js';
import { warningsToKeep } from '../../client/src/backup/kept-warnings.js';
import { decodeTree } from '../../core/src/objects/tree.js';
import { toHex } from '../../core/src/objects/digest.js';
import { startContentPool } from '../../client/src/backup/content-pool.js';
import { EXIT } from '../../client/src/cli/exit-codes.js';
import { cliWorld, haven } from '../helpers/haven-cli.js';
import { createToken, startDaemon } from '../helpers/daemon.js';
import { framesOf, makeObject } from '../helpers/objects.js';
import { unprivileged } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';

test('an unreadable file is reported and skipped; the backup completes with a warning (exit 3)', async (t) => {
  // root reads everything: as root, the CLI runs without the capabilities that bypass permissions
  const prefix = unprivileged(t);
  if (!prefix) return;
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'src'));
  writeFileSync(join(work, 'src', 'ok'), 'readable');
  writeFileSync(join(work, 'src', 'secret'), 'nobody may read this');
  chmodSync(join(work, 'src', 'secret'), 0o000);
  const r = await w.run(['backup', '--group', 'bad', 'src', '--json'], { cwd: work, prefix });
  assert.equal(r.code, 3, r.stderr);
  const out = JSON.parse(r.stdout) as { warnings: string[]; snapshot: { id: string; stats: Record<string, number> } };
  assert.equal(out.warnings.length, 1);
  assert.match(out.warnings[0] as string, /src\/secret: EACCES/);
  const ls = await w.json<{ entries: Array<{ path: string }> }>(['ls', out.snapshot.id]);
  assert.deepEqual(ls.entries.map((e) => e.path), ['src', 'src/ok']);
  // the appliance keeps the warning with the snapshot: whoever reads it later sees which file
  const shown = await w.json<{ snapshot: { id: string; warnings: string[] } }>(['snapshots', out.snapshot.id.slice(0, 12)]);
  assert.equal(shown.snapshot.id, out.snapshot.id);
  assert.deepEqual(shown.snapshot.warnings, out.warnings);
  const text = await w.run(['snapshots', out.snapshot.id]);
  assert.match(text.stdout, /1 warning:\n {4}src\/secret: EACCES/);
  const listed = await w.run(['snapshots', '--group', 'bad']);
  assert.match(listed.stdout, new RegExp(`^${out.snapshot.id.slice(0, 12)} .* {8}1 {2}$`, 'm'), 'the list counts them');
});

test('a snapshot keeps its backup\'s first warnings; the count covers them all', async (t) => {
  const prefix = unprivileged(t);
  if (!prefix) return;
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'src'));
  for (let i = 0; i < SNAPSHOT_WARNINGS_KEPT + 2; i++) {
    writeFileSync(join(work, 'src', `secret${String(i).padStart(3, '0')}`), 'nobody may read this');
    chmodSync(join(work, 'src', `secret${String(i).padStart(3, '0')}`), 0o000);
  }
  const r = await w.run(['backup', '--group', 'many', 'src', '--json'], { cwd: work, prefix });
  assert.equal(r.code, 3, r.stderr);
  const out = JSON.parse(r.stdout) as { warnings: string[]; snapshot: { id: string } };
  assert.equal(out.warnings.length, SNAPSHOT_WARNINGS_KEPT + 2);
  const shown = await w.json<{ snapshot: { warnings: string[]; stats: Record<string, number> } }>(['snapshots', out.snapshot.id]);
  assert.deepEqual(shown.snapshot.warnings, out.warnings.slice(0, SNAPSHOT_WARNINGS_KEPT));
  assert.equal(shown.snapshot.stats.warnings, SNAPSHOT_WARNINGS_KEPT + 2);
  const text = await w.run(['snapshots', out.snapshot.id]);
  assert.match(text.stdout, new RegExp(`${SNAPSHOT_WARNINGS_KEPT + 2} warnings \\(the first ${SNAPSHOT_WARNINGS_KEPT} kept\\):`));
});

test('warnings too long for the record are cut, not refused', () => {
  const long = `${'d/'.repeat(3000)}file: EACCES`;
  const kept = warningsToKeep(['short', long, 'third'], 2);
  assert.deepEqual(kept.map((k) => k.length), [5, WARNING_MAX_CHARS]);
  assert.ok(kept[1]?.endsWith('…') && long.startsWith((kept[1] ?? '').slice(0, -1)));
  assert.deepEqual(warningsToKeep(['a'], 0), [], 'an appliance that keeps none is sent none');
});

test('a file that vanished before it was read is reported by the content worker, not fatal', async (t) => {
  const dir = tempDir(t);
  const pool = startContentPool(1, {
    connection: { server: 'http://127.0.0.1:9', token: 'unused' }, session: '0'.repeat(32), level: 3, maxHasDigests: 1024,
    chunker: { algorithm: 'fastcdc-gear32-v1', seed: '00'.repeat(32), minSize: 256 << 10, avgSize: 1 << 20, maxSize: 4 << 20 },
  });
  t.after(() => pool.close());
  const [gone] = await pool.submit({ id: 1, files: [{ path: join(dir, 'vanished'), size: 10, mtimeNs: 0n, ctimeNs: 0n }] });
  assert.match(gone?.error ?? '', /^ENOENT/);
  assert.equal(gone?.digests, undefined);
});

test('a restore target that cannot be made or listed is TARGET_UNUSABLE (exit 9), at once', async (t) => {
  const prefix = unprivileged(t);
  if (!prefix) return;
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'src'));
  writeFileSync(join(work, 'src', 'f'), 'x');
  await w.json(['backup', '--group', 'tu', 'src'], { cwd: work });
  // procfs answers mkdir with ENOENT under a parent that exists: Node's recursive mkdir spun on it forever
  const proc = await w.run(['restore', 'latest', '--group', 'tu', '--target', '/proc/1/haven-restore'], { timeoutMs: 30_000 });
  assert.equal(proc.timedOut, false, 'it returns');
  assert.equal(proc.code, EXIT.config, proc.stderr);
  assert.match(proc.stderr, /Cannot restore into \/proc\/1\/haven-restore: ENOENT: .* \[TARGET_UNUSABLE\]/);
  const locked = join(work, 'locked');
  mkdirSync(locked, { mode: 0o555 });
  const denied = await w.run(['restore', 'latest', '--group', 'tu', '--target', join(locked, 'here')], { prefix });
  assert.equal(denied.code, EXIT.config, denied.stderr);
  assert.match(denied.stderr, /Cannot restore into .*locked\/here: EACCES: .*\[TARGET_UNUSABLE\]/);
});

test('restore refuses a non-empty target without --overwrite, and never follows a symlink out of it', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'src', 'dir'), { recursive: true });
  writeFileSync(join(work, 'src', 'dir', 'file'), 'from the snapshot');
  await w.json(['backup', '--group', 'tg', 'src'], { cwd: work });

  const target = join(work, 'target');
  mkdirSync(target);
  writeFileSync(join(target, 'existing'), 'x');
  const refused = await w.run(['restore', 'latest', '--group', 'tg', '--target', target]);
  assert.equal(refused.code, 7);
  assert.match(refused.stderr, /is not empty; pass --overwrite/);
  assert.deepEqual(readdirSync(target), ['existing'], 'nothing was written');

  // A symlink planted where a restored directory goes must be replaced, not followed.
  const outside = join(work, 'outside');
  mkdirSync(outside);
  symlinkSync(outside, join(target, 'src'));
  const r = await w.run(['restore', 'latest', '--group', 'tg', '--target', target, '--overwrite']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(outside), [], 'nothing written through the symlink');
  assert.equal(readFileSync(join(target, 'src', 'dir', 'file'), 'utf8'), 'from the snapshot');
});

test('a wrong token or an unreachable server is a clear error with its own exit status', async (t) => {
  const w = await cliWorld(t);
  const bad = await w.run(['snapshots'], { env: { HAVEN_TOKEN: 'hvn_wrong' } });
  assert.equal(bad.code, 4);
  assert.match(bad.stderr, /A valid API token is required \[UNAUTHORIZED\]/);
  const down = await w.run(['snapshots', '--json'], { env: { HAVEN_SERVER: 'http://127.0.0.1:9' } });
  assert.equal(down.code, 5);
  assert.equal((JSON.parse(down.stdout) as { error: { code: string } }).error.code, 'SERVER_UNREACHABLE');
  const none = await w.run(['snapshots'], { env: { HAVEN_SERVER: '', HAVEN_TOKEN: '' } });
  assert.equal(none.code, 9);
  assert.match(none.stderr, /haven login/);
});

test('over HTTPS, the pinned fingerprint works and a wrong one is a clear error (exit 11) before the token is sent', async (t) => {
  const dataDir = tempDir(t);
  const token = createToken(dataDir, 'admin');
  const d = await startDaemon(t, { dataDir, listen: '0.0.0.0:0' });
  const home = tempDir(t, 'haven-home-');
  const env = { XDG_CONFIG_HOME: home, HAVEN_CACHE_DIR: join(home, 'cache') };
  const wrong = 'ab:'.repeat(31) + 'ab';
  const refused = await haven(['login', d.url, '--token', token, '--fingerprint', wrong], { env });
  assert.equal(refused.code, 11, refused.stderr);
  assert.match(refused.stderr, /not the pinned .*\[TLS_FINGERPRINT_MISMATCH\]/);
  assert.equal(existsSync(join(home, 'haven', 'config.json')), false, 'nothing saved');
  const unpinned = await haven(['snapshots'], { env: { ...env, HAVEN_SERVER: d.url, HAVEN_TOKEN: token } });
  assert.equal(unpinned.code, 11);
  assert.match(unpinned.stderr, /TLS_UNTRUSTED/);
  // the right pin (any spelling) is saved by login and used by later commands
  const ok = await haven(['login', d.url, '--token', token, '--fingerprint', (d.fingerprint as string).toUpperCase()], { env });
  assert.equal(ok.code, 0, ok.stderr);
  const work = tempDir(t);
  writeFileSync(join(work, 'f'), 'over tls');
  const b = await haven(['backup', '--group', 'tls', 'f'], { env, cwd: work });
  assert.equal(b.code, 0, b.stderr);
});

test('tree entries named with /, .. or NUL are refused by the decoder and by the appliance', async (t) => {
  const entry = (n: string): MsgMap => ({ n, t: 1, m: 0o644, u: 0, g: 0, mt: 1n, ct: 1n, s: 0 });
  for (const name of ['../escape', 'a/b', '..', '.', 'nul\0byte', '']) {
    assert.throws(() => decodeTree(encode({ v: 1, e: [entry(name)] })), /invalid name/, JSON.stringify(name));
  }
  const w = await cliWorld(t);
  const api = w.daemon.client(w.token);
  const hostile = makeObject(ObjectKind.tree, encode({ v: 1, e: [entry('../../etc/evil')] }));
  const s = await api.startBackup({ group: 'hostile' });
  await api.uploadFrames(s.session, framesOf([hostile]));
  await assert.rejects(api.commit(s.session, { root: toHex(hostile.digest) }), /invalid name|cannot be decoded/);
  assert.equal(existsSync('/etc/evil'), false);
});
