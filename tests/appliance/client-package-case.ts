// The client .deb: built by `appliance/package-client.sh` (what `npm run package:client`
// runs), checked to carry the client alone (its modules, the packages they load, the addon
// and a Node runtime; nothing of the daemon, the UI or npm), installed with apt into a fresh
// Debian 12 root (the one debootstrap the package tests share, tests/helpers/chroot.ts) that
// has no Node, npm or compiler, its units checked by that root's systemd-analyze, and then
// used from inside the root as an admin would: login with a token, a profile in
// /etc/haven/profiles run the way haven-backup@.service runs it, and a restore compared
// bit for bit, against the repository's havend on 127.0.0.1 outside the root.

import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { chrootEnv, debianRoot, rootWorkDir, runBounded } from '../helpers/chroot.js';
import { REPO, createToken, startDaemon } from '../helpers/daemon.js';
import { hasCommand, isRoot, need } from '../helpers/prereq.js';
import { makeSourceTree } from '../helpers/source-tree.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSameTree, describeTree } from '../helpers/tree-compare.js';

const MINUTE = 60_000;

export const clientPackageCaseTitle = 'the client .deb installs alone into a fresh Debian 12 root and backs up and restores from it';

export async function clientPackageCase(t: TestContext): Promise<void> {
  const tools = ['debootstrap', 'dpkg-deb', 'chroot', 'mount', 'flock', 'zstd'];
  if (!need(t, isRoot() && tools.every(hasCommand), `needs root and ${tools.join(', ')}`)) return;
  const work = rootWorkDir(t);
  const root = join(work, 'root');
  // the repository's daemon outside the root; the root shares the host's loopback
  const dataDir = tempDir(t);
  const token = createToken(dataDir, 'admin');
  const daemon = await startDaemon(t, { dataDir });

  // build and inspect the package
  const deb = (await runBounded(join(REPO, 'appliance/package-client.sh'), [join(work, 'out')], 3 * MINUTE)).trim().split('\n').pop() as string;
  assert.match(basename(deb), /^haven-client_\d+\.\d+\.\d+_[a-z0-9]+\.deb$/);
  const listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const paths = [...new Set(listing.split('\n').map((l) => l.split(/\s+/)[5]).filter((p): p is string => p !== undefined && p !== ''))];
  for (const p of [
    './usr/bin/haven', './opt/haven-client/bin/haven', './opt/haven-client/node/bin/node', './opt/haven-client/native/build/Release/haven_native.node',
    './opt/haven-client/dist/client/src/cli/main.js', './opt/haven-client/dist/client/src/backup/content-worker.js', './opt/haven-client/dist/client/src/restore/restore-worker.js',
    './opt/haven-client/node_modules/lmdb/package.json', './opt/haven-client/node_modules/zstd-napi/package.json',
    './lib/systemd/system/haven-backup@.service', './lib/systemd/system/haven-backup@.timer', './lib/systemd/system/haven-watch@.service',
    './opt/haven-client/dist/client/src/watch/tree-watcher.js',
  ]) assert.ok(paths.includes(p), `package lacks ${p}`);
  const strays = paths.filter((p) =>
    /^\.\/opt\/haven-client\/(dist\/(daemon|tests|bench)\/|ui\/|node_modules\/(fastify|@fastify|@aws-sdk|typebox|typescript|piscina|pino|nodemailer|systeminformation|croner|npm)\/)/.test(p) ||
    /^\.\/(opt\/haven\/|lib\/systemd\/system\/havend|usr\/bin\/havend|etc\/haven\/havend)/.test(p));
  assert.deepEqual(strays, [], 'the daemon, the UI or their dependencies in the client package');
  const shebang = execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xOf - ./opt/haven-client/bin/haven | head -1', 'sh', deb], { encoding: 'utf8' });
  // the carried runtime, with the V8 flag of bin/haven's own shebang (the main thread's young generation)
  assert.equal(shebang.trim(), '#!/opt/haven-client/node/bin/node --max-semi-space-size=4', 'runs on the carried runtime');
  assert.equal(execFileSync('dpkg-deb', ['-f', deb, 'Package'], { encoding: 'utf8' }).trim(), 'haven-client');

  // a fresh Debian 12 without Node, npm or a compiler; apt installs the .deb from the file
  await debianRoot(root, 6 * MINUTE);
  const absent = await runBounded('chroot', [root, 'sh', '-c', 'for c in node nodejs npm cc gcc make; do command -v $c || true; done'], MINUTE, chrootEnv());
  assert.equal(absent.trim(), '', 'the root has a Node runtime, npm or a compiler of its own');
  copyFileSync(deb, join(root, 'tmp', basename(deb)));
  const installed = await runBounded('chroot', [root, 'apt-get', 'install', '-y', '--no-install-recommends', `/tmp/${basename(deb)}`], 3 * MINUTE, chrootEnv());
  assert.match(installed, /Setting up haven-client/);
  assert.equal(readlinkSync(join(root, 'usr/bin/haven')), '/opt/haven-client/bin/haven');

  // the units, as that root's systemd reads them
  const units = ['haven-backup@home.service', 'haven-backup@home.timer', 'haven-watch@home.service'];
  const verify = await runBounded('chroot', [root, 'systemd-analyze', 'verify', ...units], MINUTE, chrootEnv());
  assert.equal(verify.trim(), '', `systemd-analyze verify complained:\n${verify}`);
  const execStart = (unit: string): string | undefined => /^ExecStart=(.*)$/m.exec(readFileSync(join(root, 'lib/systemd/system', unit), 'utf8'))?.[1];
  assert.equal(execStart('haven-backup@.service'), '/opt/haven-client/bin/haven backup --profile %i');
  assert.equal(execStart('haven-watch@.service'), '/opt/haven-client/bin/haven backup --watch --profile %i');

  // CI=true: a native addon that fails to load is an error, not a fallback
  const inRoot = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> =>
    runBounded('chroot', [root, ...args], 3 * MINUTE, chrootEnv({ CI: 'true', ...env }));
  assert.match(await inRoot(['haven', 'version']), /^\d+\.\d+\.\d+\s*$/);
  await inRoot(['haven', 'login', daemon.url, '--token', token]);

  // a profile as an admin writes it, backed up the way haven-backup@home.service runs it
  const posix = createPosixOps();
  const src = join(root, 'srv/data');
  mkdirSync(src, { recursive: true });
  await makeSourceTree(src, posix, { asRoot: true, largeBytes: 8 << 20 });
  mkdirSync(join(root, 'etc/haven/profiles'), { recursive: true });
  writeFileSync(join(root, 'etc/haven/profiles/home.json'), JSON.stringify({ paths: ['/srv/data'], group: 'home', tags: ['packaged'] }));
  const backup = JSON.parse(await inRoot(['/opt/haven-client/bin/haven', 'backup', '--profile', 'home', '--json'], { HAVEN_CACHE_DIR: '/var/cache/haven' })) as {
    snapshot: { id: string; group: string };
  };
  assert.equal(backup.snapshot.group, 'home');

  // every other command loads modules of its own (startup-imports.test.ts runs the same list)
  for (const args of [['snapshots', '--group', 'home'], ['ls', 'latest', '--group', 'home'], ['diff', 'latest', 'latest', '--group', 'home'], ['check', 'latest', '--group', 'home', '--read-data']]) {
    await inRoot(['haven', ...args]);
  }
  await inRoot(['haven', 'restore', 'latest', '--group', 'home', '--target', '/srv/restored']);
  const before = await describeTree(src, posix);
  const after = await describeTree(join(root, 'srv/restored/srv/data'), posix);
  assertSameTree(after, before, 'restored inside the root');
}
