// The restore-at area (native/src/restore-at.cc): what a restore creates, changes or opens
// stays below the target, whatever symlinks the target holds. Every test builds a target
// holding `esc -> <outside dir>` and checks that the outside directory is untouched after.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, statSync,
  symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadAddon, type HavenAddon, type NativePath } from '../../core/src/native/addon.js';
import { isRoot, need } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, S_IFCHR, S_IFBLK } = constants;
const CREATE = O_WRONLY | O_CREAT | O_EXCL;

interface Fixture {
  addon: HavenAddon;
  target: string;
  outside: string;
  secret: string;
  /** The target, open as a directory (closed after the test). */
  rootFd: number;
}

/** target/{sub/, esc -> outside/} and outside/secret (mode 0o640). */
function fixture(t: TestContext, parent?: string): Fixture | null {
  const load = loadAddon();
  if (!need(t, load.addon !== null, `native addon: ${load.reason ?? ''}`) || !load.addon) return null;
  const dir = tempDir(t, 'haven-restore-at-', parent);
  const target = join(dir, 'target');
  const outside = join(dir, 'outside');
  mkdirSync(join(target, 'sub'), { recursive: true });
  mkdirSync(outside);
  const secret = join(outside, 'secret');
  writeFileSync(secret, 'outside data', { mode: 0o640 });
  symlinkSync(outside, join(target, 'esc'));
  const rootFd = openSync(target, O_RDONLY | O_DIRECTORY);
  t.after(() => closeSync(rootFd));
  return { addon: load.addon, target, outside, secret, rootFd };
}

function assertOutsideUntouched(f: Fixture): void {
  assert.deepEqual(readdirSync(f.outside), ['secret']);
  assert.equal(readFileSync(f.secret, 'utf8'), 'outside data');
  assert.equal(lstatSync(f.secret).mode & 0o7777, 0o640);
}

for (const walk of [false, true]) {
  test(`openBeneath through ${walk ? 'the component walk (no openat2)' : 'openat2'}: below the root, no symlink followed`, (t) => {
    const f = fixture(t);
    if (!f) return;
    const { addon, rootFd, target } = f;
    addon.setRestoreAtFallback(walk);
    t.after(() => addon.setRestoreAtFallback(false));
    // The syscall named in the error shows which path ran. For a link in an intermediate
    // component openat2 says ELOOP; the walk's O_DIRECTORY|O_NOFOLLOW may say ENOTDIR.
    const syscall = walk ? 'openat' : 'openat2';
    const escape = (e: NodeJS.ErrnoException) => e.syscall === syscall && (e.code === 'ELOOP' || (walk && e.code === 'ENOTDIR'));
    for (const rel of ['esc/x', 'esc/secret', 'esc/deeper/x']) assert.throws(() => addon.openBeneath(rootFd, rel, CREATE, 0o600), escape, rel);
    assert.throws(() => addon.openBeneath(rootFd, 'esc/secret', O_RDONLY, 0), escape);

    const fd = addon.openBeneath(rootFd, 'sub/new', CREATE, 0o600);
    writeSync(fd, 'restored');
    closeSync(fd);
    assert.equal(readFileSync(join(target, 'sub', 'new'), 'utf8'), 'restored');
    assert.equal(lstatSync(join(target, 'sub', 'new')).mode & 0o777, 0o600);
    const subFd = addon.openBeneath(rootFd, 'sub', O_RDONLY | O_DIRECTORY, 0);
    assert.equal(addon.lstatAt(subFd, 'new')?.type, 'file', 'the descriptor is usable as a directory');
    closeSync(subFd);

    // A symlink as the last component: O_NOFOLLOW is always added.
    symlinkSync(f.secret, join(target, 'sub', 'link'));
    for (const flags of [O_RDONLY, O_WRONLY, O_WRONLY | O_CREAT]) {
      assert.throws(() => addon.openBeneath(rootFd, 'sub/link', flags, 0o600), { code: 'ELOOP' });
    }
    assert.throws(() => addon.openBeneath(rootFd, 'sub/link', CREATE, 0o600), { code: 'EEXIST' });
    assert.throws(() => addon.openBeneath(rootFd, 'esc', O_RDONLY | O_DIRECTORY, 0), { code: 'ENOTDIR' });

    const refused: NativePath[] = ['', '/etc/passwd', '..', '../x', 'sub/../x', './sub', 'sub/./new', 'sub//new', 'sub/', Buffer.from('sub/\0x')];
    for (const rel of refused) assert.throws(() => addon.openBeneath(rootFd, rel, CREATE, 0o600), { code: 'EINVAL' }, String(rel));
    assertOutsideUntouched(f);
  });
}

test('mkdirAt, symlinkAt, mkfifoAt, mknodAt, linkAt and unlinkAt work on one name below a descriptor; lstatAt names the type', async (t) => {
  const f = fixture(t);
  if (!f) return;
  const { addon, rootFd, target } = f;
  addon.mkdirAt(rootFd, 'd', 0o700);
  assert.throws(() => addon.mkdirAt(rootFd, 'd', 0o700), { code: 'EEXIST', syscall: 'mkdirat' });
  assert.throws(() => addon.mkdirAt(rootFd, 'esc', 0o700), { code: 'EEXIST' });
  addon.symlinkAt(f.outside, rootFd, 'ln');
  assert.equal(readlinkSync(join(target, 'ln')), f.outside);
  const rawTarget = Buffer.from([0x2e, 0xff, 0x2f, 0x61]); // '.\xff/a': not UTF-8
  const rawName = Buffer.from([0x6c, 0xfe]);
  addon.symlinkAt(rawTarget, rootFd, rawName);
  assert.ok(readlinkSync(Buffer.concat([Buffer.from(`${target}/`), rawName]), { encoding: 'buffer' }).equals(rawTarget));
  addon.mkfifoAt(rootFd, 'fifo', 0o600);
  writeFileSync(join(target, 'file'), 'x');
  addon.linkAt(rootFd, 'file', rootFd, 'file2');
  addon.linkAt(rootFd, 'esc', rootFd, 'esc2'); // the symlink itself, not the directory it names
  assert.throws(() => addon.linkAt(rootFd, 'file', rootFd, 'file2'), { code: 'EEXIST', syscall: 'linkat', path: 'file', dest: 'file2' });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(target, 'sock'), resolve));
  t.after(() => server.close());

  const types: Record<string, string> = { d: 'dir', ln: 'symlink', esc2: 'symlink', fifo: 'fifo', file: 'file', sock: 'socket' };
  if (isRoot()) {
    addon.mknodAt(rootFd, 'null', S_IFCHR | 0o600, statSync('/dev/null').rdev);
    addon.mknodAt(rootFd, 'blk', S_IFBLK | 0o600, 0x0801);
    assert.equal(lstatSync(join(target, 'null')).rdev, statSync('/dev/null').rdev);
    Object.assign(types, { null: 'chardev', blk: 'blockdev' });
  }
  for (const [name, type] of Object.entries(types)) {
    const l = lstatSync(join(target, name));
    assert.deepEqual(addon.lstatAt(rootFd, name), { type, mode: l.mode & 0o7777, uid: l.uid, gid: l.gid, dev: l.dev, ino: l.ino }, name);
  }
  assert.equal(addon.lstatAt(rootFd, 'file2')?.ino, addon.lstatAt(rootFd, 'file')?.ino);
  assert.equal(addon.lstatAt(rootFd, 'esc2')?.ino, addon.lstatAt(rootFd, 'esc')?.ino);
  assert.equal(addon.lstatAt(rootFd, 'missing'), null);

  addon.unlinkAt(rootFd, 'esc2', false);
  addon.unlinkAt(rootFd, 'd', true);
  assert.equal(addon.lstatAt(rootFd, 'esc2'), null);
  assert.equal(addon.lstatAt(rootFd, 'd'), null);
  assert.throws(() => addon.unlinkAt(rootFd, 'file', true), { code: 'ENOTDIR' });
  assert.throws(() => addon.unlinkAt(rootFd, 'missing', false), { code: 'ENOENT', syscall: 'unlinkat', path: 'missing' });
  assertOutsideUntouched(f);
});

test('linkAt between filesystems fails with EXDEV', (t) => {
  const f = fixture(t);
  if (!f) return;
  if (!existsSync('/dev/shm') || statSync('/dev/shm').dev === statSync(f.target).dev) {
    t.skip('no second filesystem (/dev/shm) beside the temporary directory');
    return;
  }
  const otherFd = openSync(tempDir(t, 'haven-restore-at-', '/dev/shm'), O_RDONLY | O_DIRECTORY);
  t.after(() => closeSync(otherFd));
  writeFileSync(join(f.target, 'file'), 'x');
  assert.throws(() => f.addon.linkAt(f.rootFd, 'file', otherFd, 'file'), { code: 'EXDEV', syscall: 'linkat' });
});

test('removeTreeAt removes a tree without following the symlinks in it', (t) => {
  const f = fixture(t);
  if (!f) return;
  const { addon, rootFd, target } = f;
  const victim = join(target, 'victim');
  mkdirSync(join(victim, 'a', 'b'), { recursive: true });
  writeFileSync(join(victim, 'a', 'b', 'file'), 'x');
  symlinkSync(f.outside, join(victim, 'dir-link'));
  symlinkSync(f.secret, join(victim, 'a', 'file-link'));
  addon.mkfifoAt(rootFd, 'fifo', 0o600);
  addon.removeTreeAt(rootFd, 'victim');
  addon.removeTreeAt(rootFd, 'fifo');
  assert.equal(existsSync(victim), false);
  addon.removeTreeAt(rootFd, 'victim'); // nothing there is no error
  addon.removeTreeAt(rootFd, 'esc'); // a symlink at the top: the link goes, not what it names
  assert.deepEqual(readdirSync(target), ['sub']);
  assertOutsideUntouched(f);
});

test('removeTreeAt refuses a tree deeper than 4096 levels (EMLINK) and removes one within', (t) => {
  // On tmpfs where there is one: 4100 mkdirs on a journaled filesystem take most of a second.
  const f = fixture(t, existsSync('/dev/shm') ? '/dev/shm' : undefined);
  if (!f) return;
  const { addon, rootFd } = f;
  // 4100 nested directories: past the bound, refused before anything is removed; from
  // halfway down, the rest is within the bound.
  let fd = rootFd;
  let halfway = -1;
  for (let level = 0; level < 4100; level++) {
    addon.mkdirAt(fd, 'n', 0o700);
    const next = addon.openBeneath(fd, 'n', O_RDONLY | O_DIRECTORY, 0);
    if (fd !== rootFd && fd !== halfway) closeSync(fd);
    fd = next;
    if (level === 2000) halfway = fd;
  }
  closeSync(fd);
  try {
    assert.throws(() => addon.removeTreeAt(rootFd, 'n'), (e: NodeJS.ErrnoException) => e.code === 'EMLINK' && e.path?.split('/').length === 4097);
  } finally {
    addon.removeTreeAt(halfway, 'n');
    closeSync(halfway);
    addon.removeTreeAt(rootFd, 'n');
  }
  assert.equal(addon.lstatAt(rootFd, 'n'), null);
});

test('fchmodAt, fchownAt and utimensAt change a symlink itself, never its target', (t) => {
  const f = fixture(t);
  if (!f) return;
  const { addon, rootFd, target } = f;
  symlinkSync(f.secret, join(target, 'ln'));
  writeFileSync(join(target, 'file'), 'x');
  const before = statSync(f.secret, { bigint: true });

  // Linux has no mode on a symlink: refused, where chmod through the link would change the target.
  assert.throws(() => addon.fchmodAt(rootFd, 'ln', 0o777), { code: 'ENOTSUP', syscall: 'fchmodat' });
  addon.fchmodAt(rootFd, 'file', 0o751);
  assert.equal(lstatSync(join(target, 'file')).mode & 0o7777, 0o751);

  addon.utimensAt(rootFd, 'ln', 1_000_000_000, 5, 1_000_000_001, 123_456_789);
  const link = lstatSync(join(target, 'ln'), { bigint: true });
  assert.equal(link.atimeNs, 1_000_000_000_000_000_005n);
  assert.equal(link.mtimeNs, 1_000_000_001_123_456_789n);

  if (isRoot()) {
    addon.fchownAt(rootFd, 'ln', 4321, 8765);
    assert.deepEqual([lstatSync(join(target, 'ln')).uid, lstatSync(join(target, 'ln')).gid], [4321, 8765]);
  } else {
    addon.fchownAt(rootFd, 'ln', -1, -1); // an unprivileged user may only keep the ids
  }
  const after = statSync(f.secret, { bigint: true });
  assert.deepEqual([after.uid, after.gid, after.mode, after.mtimeNs, after.atimeNs], [before.uid, before.gid, before.mode, before.mtimeNs, before.atimeNs]);
  assertOutsideUntouched(f);
});

test('setXattrAt sets an xattr on the entry itself, fsetxattr on an open descriptor', (t) => {
  const f = fixture(t, '/var/tmp'); // /tmp may be a tmpfs without user xattrs
  if (!f) return;
  const { addon, rootFd, target } = f;
  const file = join(target, 'file');
  writeFileSync(file, 'x');
  symlinkSync(f.secret, join(target, 'ln'));
  const value = Buffer.from([0, 1, 255]);
  try {
    addon.setXattrAt(rootFd, 'file', 'user.haven', value);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTSUP') throw err;
    t.skip('the temporary filesystem refuses user xattrs');
    return;
  }
  assert.deepEqual(addon.readXattrs(file), [['user.haven', value]]);
  // user.* xattrs exist only on files and directories: on a symlink EPERM, and its target gets nothing.
  assert.throws(() => addon.setXattrAt(rootFd, 'ln', 'user.haven', value), { code: 'EPERM', syscall: 'lsetxattr' });
  assert.throws(() => addon.setXattrAt(rootFd, 'esc', 'user.haven', value), { code: 'EPERM' });
  assert.deepEqual(addon.readXattrs(f.secret), []);
  assert.deepEqual(addon.readXattrs(f.outside), []);

  const subFd = addon.openBeneath(rootFd, 'sub', O_RDONLY | O_DIRECTORY, 0);
  closeSync(addon.openBeneath(subFd, 'inner', CREATE, 0o600));
  addon.setXattrAt(subFd, 'inner', 'user.inner', Buffer.from('v'));
  addon.fsetxattr(subFd, 'user.dir', Buffer.from('d'));
  closeSync(subFd);
  assert.deepEqual(addon.readXattrs(join(target, 'sub', 'inner')), [['user.inner', Buffer.from('v')]]);
  assert.deepEqual(addon.readXattrs(join(target, 'sub')), [['user.dir', Buffer.from('d')]]);
  assert.throws(() => addon.setXattrAt(rootFd, 'file', 'user.a\0b', value), { code: 'EINVAL' });
  assertOutsideUntouched(f);
});

test('every call refuses a name that is not one component (EINVAL) and a descriptor that is not one (TypeError)', (t) => {
  const f = fixture(t);
  if (!f) return;
  const { addon, rootFd, target } = f;
  const names: NativePath[] = ['', '.', '..', 'a/b', 'sub/', 'esc/x', 'a\0b', Buffer.from('..'), Buffer.from('a/b')];
  for (const name of names) {
    const calls: Array<[string, () => unknown]> = [
      ['mkdirAt', () => addon.mkdirAt(rootFd, name, 0o700)],
      ['symlinkAt', () => addon.symlinkAt('x', rootFd, name)],
      ['mkfifoAt', () => addon.mkfifoAt(rootFd, name, 0o600)],
      ['mknodAt', () => addon.mknodAt(rootFd, name, S_IFCHR | 0o600, 0)],
      ['linkAt new', () => addon.linkAt(rootFd, 'sub', rootFd, name)],
      ['linkAt old', () => addon.linkAt(rootFd, name, rootFd, 'new')],
      ['unlinkAt', () => addon.unlinkAt(rootFd, name, true)],
      ['removeTreeAt', () => addon.removeTreeAt(rootFd, name)],
      ['lstatAt', () => addon.lstatAt(rootFd, name)],
      ['fchownAt', () => addon.fchownAt(rootFd, name, -1, -1)],
      ['fchmodAt', () => addon.fchmodAt(rootFd, name, 0o700)],
      ['utimensAt', () => addon.utimensAt(rootFd, name, 0, 0, 0, 0)],
      ['setXattrAt', () => addon.setXattrAt(rootFd, name, 'user.x', Buffer.alloc(1))],
    ];
    for (const [what, call] of calls) assert.throws(call, { code: 'EINVAL' }, `${what}(${JSON.stringify(String(name))})`);
  }
  assert.throws(() => addon.symlinkAt('a\0b', rootFd, 'l'), { code: 'EINVAL' });
  // AT_FDCWD (-100) would resolve the name against the working directory.
  assert.throws(() => addon.mkdirAt(-100, 'x', 0o700), TypeError);
  assert.throws(() => addon.openBeneath(Number.NaN, 'x', CREATE, 0o600), TypeError);
  assert.throws(() => addon.lstatAt(rootFd, 5 as unknown as string), TypeError);
  assert.deepEqual(readdirSync(target).sort(), ['esc', 'sub']);
  assertOutsideUntouched(f);
});
