import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorld, haven } from '../helpers/haven-cli.js';
import { startDaemon } from '../helpers/daemon.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

interface Snap { id: string; paths: string[]; tags: string[]; group: string }

test('login saves a private config; a profile names paths, group and excludes; --stdin backs up a stream', async (t) => {
  const w = await cliWorld(t);
  const env = { HAVEN_SERVER: '', HAVEN_TOKEN: '' };
  const login = await w.run(['login', w.daemon.url, '--token', w.token, '--json'], { env });
  assert.equal(login.code, 0, login.stderr);
  const configPath = (JSON.parse(login.stdout) as { config: string }).config;
  assert.equal(statSync(configPath).mode & 0o777, 0o600);
  assert.equal((JSON.parse(readFileSync(configPath, 'utf8')) as { token: string }).token, w.token);
  const badLogin = await w.run(['login', w.daemon.url, '--token', 'hvn_nope'], { env });
  assert.equal(badLogin.code, 4, 'login checks the token before saving it');

  const work = tempDir(t);
  mkdirSync(join(work, 'docs', 'build'), { recursive: true });
  writeFileSync(join(work, 'docs', 'keep.md'), 'keep');
  writeFileSync(join(work, 'docs', 'skip.o'), 'object file');
  writeFileSync(join(work, 'docs', 'build', 'out'), 'built');
  const profiles = join(w.env.XDG_CONFIG_HOME as string, 'haven', 'profiles');
  mkdirSync(profiles, { recursive: true });
  writeFileSync(join(profiles, 'nightly.json'), JSON.stringify({ paths: [join(work, 'docs')], group: 'nightly', excludes: ['*.o', `${join(work, 'docs')}/build`], tags: ['scheduled'] }));
  // the server and token come from the saved login config
  const b = await w.json<{ snapshot: Snap }>(['backup', '--profile', 'nightly'], { env });
  assert.equal(b.snapshot.group, 'nightly');
  assert.deepEqual(b.snapshot.tags, ['scheduled']);
  const ls = await w.json<{ entries: Array<{ path: string }> }>(['ls', 'latest', '--group', 'nightly'], { env });
  const docs = join(work, 'docs').slice(1);
  assert.deepEqual(ls.entries.map((e) => e.path).filter((p) => p.startsWith(docs)), [docs, `${docs}/keep.md`]);

  const missing = await w.run(['backup', '--profile', 'absent'], { env });
  assert.equal(missing.code, 9);
  assert.match(missing.stderr, /Profile absent/);

  const input = seededBytes(5 << 20, 'stdin');
  const s = await w.json<{ snapshot: Snap }>(['backup', '--stdin', '--name', 'dump.sql', '--group', 'db'], { input });
  const restored = tempDir(t);
  await w.json(['restore', s.snapshot.id, '--target', restored]);
  assert.ok(readFileSync(join(restored, 'dump.sql')).equals(input));
});

test('snapshots, diff, restore --include and check --read-data (which finds a damaged chunk)', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'p', 'a'), { recursive: true });
  mkdirSync(join(work, 'p', 'b'));
  writeFileSync(join(work, 'p', 'a', 'one'), seededBytes(300_000, 'one'));
  writeFileSync(join(work, 'p', 'b', 'two'), 'two');
  const s1 = await w.json<{ snapshot: Snap }>(['backup', '--group', 'g', '--tag', 'first', 'p'], { cwd: work });
  writeFileSync(join(work, 'p', 'b', 'two'), 'two, changed');
  writeFileSync(join(work, 'p', 'b', 'three'), '3');
  const s2 = await w.json<{ snapshot: Snap }>(['backup', '--group', 'g', 'p'], { cwd: work });

  const list = await w.json<{ snapshots: Snap[] }>(['snapshots', '--group', 'g']);
  assert.deepEqual(list.snapshots.map((s) => s.id), [s1.snapshot.id, s2.snapshot.id]);
  const human = await w.run(['snapshots']);
  assert.match(human.stdout, new RegExp(s1.snapshot.id.slice(0, 12)));

  const diff = await w.json<{ changes: Array<{ change: string; path: string }> }>(['diff', s1.snapshot.id, s2.snapshot.id]);
  assert.deepEqual(diff.changes.map((c) => `${c.change} ${c.path}`).sort(), ['+ p/b/three', 'M p/b', 'M p/b/two'].sort());

  const target = tempDir(t);
  await w.json(['restore', 'latest', '--group', 'g', '--target', target, '--include', 'p/b']);
  assert.deepEqual(readdirSync(join(target, 'p')), ['b']);
  assert.equal(readFileSync(join(target, 'p', 'b', 'two'), 'utf8'), 'two, changed');

  const ok = await w.json<{ problems: string[]; bytesRead: number }>(['check', 'latest', '--group', 'g', '--read-data']);
  assert.deepEqual(ok.problems, []);
  assert.ok(ok.bytesRead >= 300_000);

  // flip bytes inside the stored payload of the 300 kB chunk (incompressible: stored raw)
  await w.daemon.stop();
  const segDir = join(w.dataDir, 'datastore', 'segments', '000');
  const seg = join(segDir, readdirSync(segDir).sort()[0] as string);
  const bytes = readFileSync(seg);
  const at = bytes.indexOf(seededBytes(300_000, 'one').subarray(1000, 1032));
  assert.ok(at > 0, 'found the chunk in its segment');
  const fd = openSync(seg, 'r+');
  writeSync(fd, Buffer.from('damage'), 0, 6, at);
  closeSync(fd);
  const restarted = await startDaemon(t, { dataDir: w.dataDir });
  const bad = await haven(['check', 'latest', '--group', 'g', '--read-data', '--json'], { env: { ...w.env, HAVEN_SERVER: restarted.url } });
  assert.equal(bad.code, 8, bad.stderr);
  const report = JSON.parse(bad.stdout) as { problems: string[] };
  assert.equal(report.problems.length, 1);
  assert.match(report.problems[0] as string, /corrupt/i);
});
