import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { join } from 'node:path';
import { loadAddon } from '../../core/src/native/addon.js';
import { scanDirectoryAsync } from '../../client/src/fs/dir-scan.js';
import { need } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';

test('the native directory scan (on a libuv thread) and the readdir+lstat fallback agree, sorted by name bytes', async (t) => {
  const load = loadAddon();
  if (!need(t, load.addon !== null, `native addon: ${load.reason ?? ''}`)) return;
  const dir = tempDir(t);
  for (const n of ['b', 'a', 'B', 'é', 'z.txt', '_']) writeFileSync(join(dir, n), n.repeat(100));
  writeFileSync(Buffer.from(`${dir}/\xff-raw`, 'latin1'), 'not utf-8');
  mkdirSync(join(dir, 'sub'));
  symlinkSync('a', join(dir, 'link'));
  linkSync(join(dir, 'a'), join(dir, 'a2'));
  const native = await scanDirectoryAsync(dir, load.addon);
  const fallback = await scanDirectoryAsync(dir, null);
  assert.deepEqual(native, fallback);
  await assert.rejects(scanDirectoryAsync(join(dir, 'missing'), load.addon), { code: 'ENOENT', syscall: 'opendir' });
  await assert.rejects(scanDirectoryAsync(join(dir, 'link'), load.addon), { code: 'ENOTDIR' });
  assert.deepEqual(native.map((e) => e.name.raw ? e.name.raw.toString('hex') : e.name.name), ['B', '_', 'a', 'a2', 'b', 'link', 'sub', 'z.txt', 'é', 'ff2d726177']);
  assert.equal(native.find((e) => e.name.name === 'a')?.nlink, 2);
  assert.equal(native.find((e) => e.name.name === 'é')?.size, 200);
});
