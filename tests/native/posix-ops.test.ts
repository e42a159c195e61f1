import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, lstatSync, openSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAddon } from '../../core/src/native/addon.js';
import { CommandPosixOps, NativePosixOps, splitDevice, type PosixOps } from '../../client/src/fs/posix-ops.js';
import { hasCommand, isRoot, need } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';

const implementations: Array<[string, () => PosixOps | string]> = [
  ['native', () => {
    const r = loadAddon();
    return r.addon ? new NativePosixOps(r.addon) : `native addon: ${r.reason}`;
  }],
  ['commands', () => (hasCommand('setfattr') && hasCommand('getfattr') ? new CommandPosixOps() : 'setfattr/getfattr (apt package attr)')],
];

for (const [name, make] of implementations) {
  test(`${name} posix ops: xattrs, fifos, device nodes, nanosecond times`, async (t) => {
    const ops = make();
    if (!need(t, typeof ops !== 'string', String(ops))) return;
    const posix = ops as PosixOps;
    const dir = tempDir(t);
    const file = join(dir, 'f');
    writeFileSync(file, 'x');

    await posix.writeXattr(file, 'user.haven', Buffer.from([0, 1, 2, 255]));
    await posix.writeXattr(file, 'user.empty', Buffer.alloc(0));
    const xattrs = (await posix.readXattrs(file)).sort(([a], [b]) => a.localeCompare(b));
    assert.deepEqual(xattrs.map(([k, v]) => [k, v.toString('hex')]), [['user.empty', ''], ['user.haven', '000102ff']]);

    const fifo = join(dir, 'fifo');
    await posix.mkfifo(fifo, 0o640);
    const fst = lstatSync(fifo);
    assert.ok(fst.isFIFO());
    assert.equal(fst.mode & 0o7777, 0o640);

    const ns = 1_700_000_000_123_456_789n;
    await posix.setTimes(file, ns, false);
    assert.equal(lstatSync(file, { bigint: true }).mtimeNs, ns);
    const link = join(dir, 'link');
    symlinkSync('f', link);
    await posix.setTimes(link, ns + 1n, true);
    assert.equal(lstatSync(link, { bigint: true }).mtimeNs, ns + 1n);
    assert.equal(lstatSync(file, { bigint: true }).mtimeNs, ns, 'the target is untouched');
    const fd = openSync(file, 'r+');
    await posix.setFdTimes(fd, file, ns + 5n);
    closeSync(fd);
    assert.equal(lstatSync(file, { bigint: true }).mtimeNs, ns + 5n, 'times through an open descriptor');
    await posix.setTimes(file, -1_500_000_000n, false);
    assert.equal(lstatSync(file, { bigint: true }).mtimeNs, -1_500_000_000n);

    if (isRoot()) {
      const nullDev = statSync('/dev/null').rdev;
      const node = join(dir, 'null');
      await posix.mknod(node, 'chardev', 0o600, nullDev);
      const st = lstatSync(node);
      assert.ok(st.isCharacterDevice());
      assert.equal(st.rdev, nullDev);
      const blk = join(dir, 'blk');
      await posix.mknod(blk, 'blockdev', 0o660, 0x0801); // 8:1 (sda1)
      assert.ok(lstatSync(blk).isBlockDevice());
      assert.equal(lstatSync(blk).rdev, 0x0801);
    }
  });
}

test('device numbers split like glibc major()/minor()', () => {
  assert.deepEqual(splitDevice(0x0103), { major: 1, minor: 3 });
  assert.deepEqual(splitDevice(0x0801), { major: 8, minor: 1 });
  // major 259 (blkext), minor 300: major's high bits at 32+, minor's at 20+
  const dev = Number((259n & 0xfffn) << 8n | (300n & 0xffn) | ((300n & ~0xffn) << 12n));
  assert.deepEqual(splitDevice(dev), { major: 259, minor: 300 });
});
