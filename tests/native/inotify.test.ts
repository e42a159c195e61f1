// The addon's inotify area (native/src/inotify.cc): events arrive on Node's loop with their
// names (a Buffer when not UTF-8), a watched inode keeps its descriptor, errors are shaped
// like fs errors, and a closed watcher lets the process end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADDON_PATH, loadAddon, type InotifyEvent } from '../../core/src/native/addon.js';
import { need } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';

test('inotify events with exact names, one descriptor per inode, fs-shaped errors', async (t) => {
  const load = loadAddon();
  if (!need(t, load.addon !== null, `native addon: ${load.reason ?? ''}`)) return;
  const addon = load.addon as NonNullable<typeof load.addon>;
  const b = addon.inotifyBits;
  const dir = tempDir(t);
  const events: InotifyEvent[] = [];
  let wake: () => void = () => undefined;
  const watcher = new addon.InotifyWatcher((batch) => {
    events.push(...batch);
    wake();
  });
  t.after(() => watcher.close());
  const mask = b.IN_CREATE | b.IN_DELETE | b.IN_CLOSE_WRITE | b.IN_ONLYDIR;
  const wd = watcher.addWatch(dir, mask);
  assert.equal(watcher.addWatch(Buffer.from(dir), mask), wd, 'the same inode keeps its watch descriptor');

  const raw = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x66, 0xff, 0x6f])]);
  writeFileSync(join(dir, 'plain.txt'), 'x');
  writeFileSync(raw, 'y');
  mkdirSync(join(dir, 'sub'));
  rmSync(join(dir, 'plain.txt'));
  const want = 6;
  const deadline = Date.now() + 10_000;
  while (events.length < want && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 200);
    });
  }
  const seen = events.map((e) => [e.wd, e.mask, Buffer.isBuffer(e.name) ? `raw:${e.name.toString('hex')}` : e.name]);
  assert.deepEqual(seen, [
    [wd, b.IN_CREATE, 'plain.txt'], [wd, b.IN_CLOSE_WRITE, 'plain.txt'],
    [wd, b.IN_CREATE, 'raw:66ff6f'], [wd, b.IN_CLOSE_WRITE, 'raw:66ff6f'],
    [wd, b.IN_CREATE | b.IN_ISDIR, 'sub'], [wd, b.IN_DELETE, 'plain.txt'],
  ]);

  assert.throws(() => watcher.addWatch(join(dir, 'missing'), mask), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.syscall === 'inotify_add_watch');
  writeFileSync(join(dir, 'file'), '');
  assert.throws(() => watcher.addWatch(join(dir, 'file'), mask), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR', 'IN_ONLYDIR refuses a file');
  assert.equal(watcher.removeWatch(wd), true);
  assert.equal(watcher.removeWatch(wd), false, 'a removed watch is gone');
});

test('an open watcher keeps the process alive, a closed one does not', (t) => {
  if (!need(t, loadAddon().addon !== null, 'native addon')) return;
  // an unref'd timer fires only while something else keeps the loop running
  const run = (close: boolean): string => execFileSync(process.execPath, ['-e', `
    const a = require(${JSON.stringify(ADDON_PATH)});
    const w = new a.InotifyWatcher(() => {});
    w.addWatch('/tmp', a.inotifyBits.IN_CREATE);
    ${close ? 'w.close();' : ''}
    setTimeout(() => { process.stdout.write('alive'); process.exit(0); }, 300).unref();`], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run(false), 'alive');
  assert.equal(run(true), '');
});
