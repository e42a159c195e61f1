// The restore target, both forms (descriptors through the addon, and the checked-path
// fallback used without it): with `esc -> <outside>` planted in the target, nothing the
// restore does through `esc/...` reaches outside, and --overwrite's removal of `esc`
// removes the link, not what it points at.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAddon } from '../../core/src/native/addon.js';
import type { TreeEntry } from '../../core/src/objects/tree.js';
import { CommandPosixOps } from '../../client/src/fs/posix-ops.js';
import { openRestoreTarget, openTargetFile } from '../../client/src/restore/restore-target.js';
import { tempDir } from '../helpers/tmp.js';

const dirEntry: TreeEntry = { name: 'esc', type: 'dir', mode: 0o777, uid: 0, gid: 0, mtimeNs: 0n, ctimeNs: 0n, size: 0, subtree: new Uint8Array(32) };
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

for (const form of ['descriptors', 'checked paths'] as const) {
  test(`restore target (${form}): no call goes through a planted symlink`, async (t) => {
    const addon = loadAddon().addon;
    if (form === 'descriptors' && !addon) {
      if (process.env.CI === 'true') assert.fail('native addon missing under CI=true');
      t.skip('native addon not built');
      return;
    }
    const root = tempDir(t);
    const outside = join(root, 'outside');
    const target = join(root, 'target');
    mkdirSync(outside, { mode: 0o755 });
    writeFileSync(join(outside, 'secret'), 'x', { mode: 0o600 });
    mkdirSync(target);
    symlinkSync(outside, join(target, 'esc'));
    const before = { mode: statSync(outside).mode, mtime: statSync(outside, { bigint: true }).mtimeNs, names: readdirSync(outside) };

    const fs = openRestoreTarget(target, new CommandPosixOps(), form === 'descriptors' ? addon : null);
    try {
      assert.equal(fs.typeAt('esc'), 'symlink');
      assert.throws(() => fs.makeDir('esc/sub'));
      assert.throws(() => fs.symlink('esc/passwd', '/etc/passwd'));
      await assert.rejects(fs.fifo('esc/fifo'));
      await assert.rejects(fs.applyMetadata('esc', dirEntry, false), 'metadata of a directory that is a link');
      await assert.rejects(fs.applyMetadata('esc/secret', { ...dirEntry, type: 'file', name: 'secret' }, false));
      assert.throws(() => openTargetFile(fs.handle, 'esc/new', CREATE));
      assert.throws(() => fs.hardlink('copy', 'esc/secret'), 'a hard link to a file outside');

      fs.remove('esc');
      assert.equal(fs.typeAt('esc'), null);
      fs.makeDir('esc');
      assert.ok(lstatSync(join(target, 'esc')).isDirectory());
    } finally {
      fs.close();
    }
    assert.deepEqual({ mode: statSync(outside).mode, mtime: statSync(outside, { bigint: true }).mtimeNs, names: readdirSync(outside) }, before);
    assert.equal(statSync(join(outside, 'secret')).mode & 0o777, 0o600);
  });
}
