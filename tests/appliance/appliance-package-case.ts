// The .deb: built by `appliance/package.sh` (what `npm run package` runs), checked, installed
// with apt (beside the haven-client package it depends on, built by the same script) into a
// throw-away Debian 12 root made by debootstrap from Debian's archive, its
// units checked by that root's systemd-analyze, and its havend started from the installed
// tree with the installed configuration: HTTPS with a fresh certificate, READY/STOPPING to a
// notify socket, health over a pinned connection, and exit 0 on SIGTERM.

import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, lstatSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ApiClient } from '../../client/src/api/api-client.js';
import { DEBIAN_ROOT_PACKAGES, chrootEnv, debianRoot, rootWorkDir, runBounded } from '../helpers/chroot.js';
import { REPO } from '../helpers/daemon.js';
import { notifySocket } from '../helpers/notify-socket.js';
import { hasCommand, isRoot, need } from '../helpers/prereq.js';

const MINUTE = 60_000;

export const appliancePackageCaseTitle = 'the .deb installs into a fresh Debian 12 root and its havend serves HTTPS from the installed tree';

export async function appliancePackageCase(t: TestContext): Promise<void> {
  const tools = ['debootstrap', 'dpkg-deb', 'chroot', 'mount', 'python3'];
  if (!need(t, isRoot() && tools.every(hasCommand), `needs root and ${tools.join(', ')}`)) return;
  const work = rootWorkDir(t);
  const root = join(work, 'root');

  // build and inspect the package
  const built = (await runBounded(join(REPO, 'appliance/package.sh'), [join(work, 'out')], 3 * MINUTE)).trim().split('\n');
  const [clientDeb, deb] = built.slice(-2) as [string, string];
  assert.match(basename(deb), /^haven_\d+\.\d+\.\d+_[a-z0-9]+\.deb$/);
  assert.match(basename(clientDeb), /^haven-client_\d+\.\d+\.\d+_[a-z0-9]+\.deb$/);
  const listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const paths = new Set(listing.split('\n').map((l) => l.split(/\s+/)[5]).filter((p): p is string => p !== undefined && p !== ''));
  for (const p of [
    './opt/haven/bin/havend', './opt/haven/node/bin/node', './opt/haven/native/build/Release/haven_native.node',
    './opt/haven/dist/daemon/src/cli/main.js', './opt/haven/node_modules/fastify/package.json', './opt/haven/node_modules/lmdb/package.json',
    './lib/systemd/system/havend.service', './opt/haven/ui/dist/index.html', './etc/haven/havend.json', './usr/bin/havend',
    // the client its restore drills run, beside the daemon on the same runtime
    './opt/haven/bin/haven', './opt/haven/appliance/postinstall.sh',
  ]) assert.ok(paths.has(p), `package lacks ${p}`);
  // what the haven-client package installs, so the two never claim the same file
  for (const p of ['./usr/bin/haven', './lib/systemd/system/haven-backup@.service', './lib/systemd/system/haven-backup@.timer', './lib/systemd/system/haven-watch@.service']) {
    assert.ok(!paths.has(p), `the appliance package ships ${p}`);
  }
  assert.ok(![...paths].some((p) => p.startsWith('./opt/haven/dist/tests/') || p.startsWith('./opt/haven/node_modules/typescript/')), 'no tests or dev dependencies');
  assert.match(listing, /^-rwxr-xr-x root\/root .* \.\/opt\/haven\/bin\/havend$/m);
  const shebang = execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xOf - ./opt/haven/bin/havend | head -1', 'sh', deb], { encoding: 'utf8' });
  assert.equal(shebang.trim(), '#!/opt/haven/node/bin/node', 'runs on the carried runtime');
  assert.equal(execFileSync('dpkg-deb', ['-f', deb, 'Package'], { encoding: 'utf8' }).trim(), 'haven');
  const depends = execFileSync('dpkg-deb', ['-f', deb, 'Depends'], { encoding: 'utf8' }).trim().split(/,\s*/);
  for (const d of ['smartmontools', 'btrfs-progs', 'ledmon', 'openssl']) assert.ok(depends.includes(d), `Depends lacks ${d}`);
  assert.ok(depends.includes(`haven-client (= ${execFileSync('dpkg-deb', ['-f', clientDeb, 'Version'], { encoding: 'utf8' }).trim()})`), `Depends: ${depends.join(', ')}`);
  // the shared root holds the dependencies from Debian's archive; apt installs the two .debs
  const fromArchive = depends.filter((d) => !d.startsWith('haven-client'));
  assert.deepEqual(fromArchive.filter((d) => !DEBIAN_ROOT_PACKAGES.includes(d)), [], 'the shared Debian root lacks a dependency');

  // a fresh Debian 12 with the package's dependencies, then apt installs the .debs themselves
  await debianRoot(root, 6 * MINUTE);
  const debs = [deb, clientDeb].map((d) => {
    copyFileSync(d, join(root, 'tmp', basename(d)));
    return `/tmp/${basename(d)}`;
  });
  copyFileSync(join(REPO, 'appliance/install.sh'), join(root, 'tmp/install.sh'));
  // install.sh with the packages: apt installs them (dependencies already there) and haven's postinst runs
  const installed = await runBounded('chroot', [root, 'bash', '/tmp/install.sh', ...debs], 3 * MINUTE, chrootEnv());
  assert.match(installed, /Setting up haven-client/);
  assert.match(installed, /Setting up haven /);
  assert.match(installed, /enabled but not started/, 'postinst knows systemd is not running in a chroot');
  // idempotent: a second run changes nothing and succeeds
  await runBounded('chroot', [root, 'bash', '/tmp/install.sh', ...debs], 3 * MINUTE, chrootEnv());
  await runBounded('chroot', [root, '/opt/haven/appliance/postinstall.sh'], MINUTE, chrootEnv());
  assert.match(execFileSync('chroot', [root, 'dpkg-query', '-W', '-f', '${Status} ${Version}', 'haven'], { encoding: 'utf8', env: chrootEnv() }), /^install ok installed \d/);
  const wants = join(root, 'etc/systemd/system/multi-user.target.wants/havend.service');
  assert.ok(lstatSync(wants).isSymbolicLink() && readlinkSync(wants) === '/lib/systemd/system/havend.service', 'enabled at boot');
  assert.equal(readlinkSync(join(root, 'usr/bin/havend')), '/opt/haven/bin/havend');
  assert.equal(readlinkSync(join(root, 'usr/bin/haven')), '/opt/haven-client/bin/haven', 'haven comes from haven-client');

  // the units (the client's from haven-client), as that root's systemd reads them
  const units = ['havend.service', 'haven-backup@home.service', 'haven-backup@home.timer', 'haven-watch@home.service'];
  const verify = await runBounded('chroot', [root, 'systemd-analyze', 'verify', ...units], MINUTE, chrootEnv());
  assert.equal(verify.trim(), '', `systemd-analyze verify complained:\n${verify}`);

  // havend from the installed tree and configuration (listening on a free port instead of
  // 8420); CI=true makes a missing native addon an error, so sd_notify goes through the addon
  const notify = await notifySocket(t, join(root, 'run', 'haven-notify.sock'));
  const proc = spawn('chroot', [root, '/opt/haven/bin/havend', 'serve', '--config', '/etc/haven/havend.json', '--listen', '0.0.0.0:0'], {
    env: chrootEnv({ NOTIFY_SOCKET: '/run/haven-notify.sock', CI: 'true' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
  t.after(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  const ready = await notify.waitFor((n) => n.message.startsWith('READY=1'), 30_000).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${out}`);
  });
  assert.equal(ready.pid, proc.pid, 'READY=1 from havend itself');
  const port = /serving on https:\/\/0\.0\.0\.0:(\d+) \(state \/var\/lib\/haven, datastore \/var\/lib\/haven\/datastore\)/.exec(out)?.[1];
  assert.ok(port, out);
  const info = JSON.parse(await runBounded('chroot', [root, '/opt/haven/bin/havend', 'info', '--config', '/etc/haven/havend.json', '--json'], 30_000, chrootEnv())) as {
    tls: { fingerprint: string }; running: { pid: number } | null; healthy: boolean; setupCode: string | null;
  };
  assert.match(info.setupCode ?? '', /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/, 'a fresh appliance offers its setup code');
  assert.ok(out.includes(info.setupCode as string));
  assert.ok(out.includes(`fingerprint (SHA-256): ${info.tls.fingerprint}`));
  assert.equal(info.running?.pid, proc.pid);
  assert.ok(info.healthy);
  assert.ok(existsSync(join(root, 'var/lib/haven/tls/cert.pem')), 'the certificate lives in the state directory');

  const api = new ApiClient({ server: `https://127.0.0.1:${port}`, token: 'none', fingerprint: info.tls.fingerprint });
  t.after(() => api.close());
  const health = await api.json<{ status: string }>('GET', '/api/v1/health');
  assert.equal(health.status, 'ok');

  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null], out);
  await notify.waitFor((n) => n.message.startsWith('STOPPING=1'));
  assert.ok(notify.received.every((n) => n.pid === proc.pid));
}
