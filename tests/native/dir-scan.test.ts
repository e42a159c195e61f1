import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAddon, type HavenAddon } from '../../core/src/native/addon.js';
import { DirScanner, ScannedDir, inodeKey } from '../../client/src/fs/dir-scan.js';
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
  const listing = await new DirScanner(load.addon).scan(dir);
  const native = listing.entries();
  const fallback = (await new DirScanner(null).scan(dir)).entries();
  assert.deepEqual(native, fallback);
  // what the walk reads without making entries agrees with the entries
  for (const [i, e] of native.entries()) {
    assert.equal(listing.name(i), e.name.name);
    assert.equal(listing.isDir(i), e.name.name === 'sub');
    assert.equal(listing.isFile(i), !['sub', 'link'].includes(e.name.name));
    assert.equal(listing.size(i), e.size);
    const key = Buffer.alloc(16);
    listing.inodeKeyInto(i, key);
    assert.deepEqual(key, inodeKey(e));
  }
  await assert.rejects(new DirScanner(load.addon).scan(join(dir, 'missing')), { code: 'ENOENT', syscall: 'opendir' });
  await assert.rejects(new DirScanner(load.addon).scan(join(dir, 'link')), { code: 'ENOTDIR' });
  assert.deepEqual(native.map((e) => e.name.raw ? e.name.raw.toString('hex') : e.name.name), ['B', '_', 'a', 'a2', 'b', 'link', 'sub', 'z.txt', 'é', 'ff2d726177']);
  assert.equal(native.find((e) => e.name.name === 'a')?.nlink, 2);
  assert.equal(native.find((e) => e.name.name === 'é')?.size, 200);
});

test('scans asked for together go out in batches, and each directory gets its own listing or error', async (t) => {
  const load = loadAddon();
  const addon = load.addon;
  if (!need(t, addon !== null, `native addon: ${load.reason ?? ''}`) || !addon) return;
  const dir = tempDir(t);
  const dirs = Array.from({ length: 9 }, (_, i) => join(dir, `d${i}`));
  dirs.forEach((d, i) => {
    mkdirSync(d);
    for (let f = 0; f < i; f++) writeFileSync(join(d, `f${f}`), 'x'.repeat(f));
  });
  const batches: number[] = [];
  const counting: HavenAddon = Object.create(addon);
  counting.scanDirsAsync = (paths) => (batches.push(paths.length), addon.scanDirsAsync(paths));
  const scanner = new DirScanner(counting, 2);
  const asked = [...dirs.slice(0, 4), join(dir, 'missing'), ...dirs.slice(4)];
  const results = await Promise.allSettled(asked.map((d) => scanner.scan(d)));
  assert.deepEqual(batches, [5, 5], 'ten scans asked in one turn, over two threads');
  const one = new DirScanner(null);
  for (const [i, r] of results.entries()) {
    if (asked[i]?.endsWith('missing')) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.code, 'ENOENT');
      continue;
    }
    assert.equal(r.status, 'fulfilled');
    assert.deepEqual((r as PromiseFulfilledResult<ScannedDir>).value.entries(), (await one.scan(asked[i] as string)).entries());
  }
  await Promise.all(dirs.map((d) => scanner.scan(d)));
  assert.equal(batches.length, 4, 'a later turn is batched again');
});

test("a listing's state changes with any name or stat field the tree is made of, and not with reads", async (t) => {
  const load = loadAddon();
  if (!need(t, load.addon !== null, `native addon: ${load.reason ?? ''}`)) return;
  const scanner = new DirScanner(load.addon);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a'), 'one');
  mkdirSync(join(dir, 'sub'));
  const state = async (): Promise<string> => (await scanner.scan(dir)).state()?.toString('hex') ?? 'none';
  const first = await state();
  assert.equal(await state(), first, 'the same listing, the same state');
  readFileSync(join(dir, 'a'));
  assert.equal(await state(), first, 'reading a file (atime) changes nothing');
  const seen = new Set([first]);
  const changes: Array<[string, () => void]> = [
    ['content of the same size', () => writeFileSync(join(dir, 'a'), 'two')],
    ['mode', () => chmodSync(join(dir, 'a'), 0o600)],
    ['a new name', () => writeFileSync(join(dir, 'b'), '')],
    ['a rename', () => renameSync(join(dir, 'b'), join(dir, 'c'))],
    ['a subdirectory touched', () => utimesSync(join(dir, 'sub'), 1, 1)],
  ];
  for (const [what, change] of changes) {
    // past the file system's timestamp granularity, which may be coarser than a nanosecond
    await new Promise((resolve) => setTimeout(resolve, 20));
    change();
    const now = await state();
    assert.ok(!seen.has(now), what);
    seen.add(now);
  }
  assert.equal((await new DirScanner(null).scan(dir)).state(), null, 'the fallback keeps no record');
});
