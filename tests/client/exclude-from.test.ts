// haven backup --exclude-file and --exclude-caches against a real havend: patterns read from a
// file (comments and blank lines skipped) as --exclude takes them, and a directory marked as a
// cache by a CACHEDIR.TAG with the standard signature kept with its tag only (a tag without the
// signature marks nothing), run after run with the files cache, and not when the option is off;
// and a watcher is not woken by what the backup leaves out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT } from '../../client/src/cli/exit-codes.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { settle } from '../helpers/settle.js';
import { tempDir } from '../helpers/tmp.js';
import { startWatch } from '../helpers/watch-process.js';

const SIGNATURE = 'Signature: 8a477f597d28d172789f06886806bc55';

test('--exclude-file reads patterns; --exclude-caches keeps a tagged cache directory with its tag only', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  const files: Record<string, string> = {
    'a.txt': 'kept',
    'build/CACHEDIR.TAG': `${SIGNATURE}\n# This file is a cache directory tag.\n`,
    'build/obj.o': 'object code',
    'build/deep/more.o': 'more',
    'fake/CACHEDIR.TAG': 'no signature here',
    'fake/keep.txt': 'kept: the tag is not one',
    'logs/app.log': 'excluded by name',
    'tmp/scratch': 'excluded by path',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(src, name, '..'), { recursive: true });
    writeFileSync(join(src, name), text);
  }
  const list = join(work, 'excludes.txt');
  writeFileSync(list, '# what restic users keep in an exclude file\n\n*.log\n  src/tmp  \n');
  await settle(); // the files cache and directory records vouch for what they saw

  const paths = async (args: string[]): Promise<string[]> => {
    const b = await w.json<{ snapshot: { id: string } }>(['backup', '--group', 'ex', 'src', ...args], { cwd: work });
    return (await w.json<{ entries: Array<{ path: string }> }>(['ls', b.snapshot.id])).entries.map((e) => e.path);
  };
  const everything = ['src', 'src/a.txt', 'src/build', 'src/build/CACHEDIR.TAG', 'src/build/deep', 'src/build/deep/more.o', 'src/build/obj.o',
    'src/fake', 'src/fake/CACHEDIR.TAG', 'src/fake/keep.txt', 'src/logs', 'src/logs/app.log', 'src/tmp', 'src/tmp/scratch'];
  const excluded = ['src', 'src/a.txt', 'src/build', 'src/build/CACHEDIR.TAG', 'src/fake', 'src/fake/CACHEDIR.TAG', 'src/fake/keep.txt', 'src/logs'];
  assert.deepEqual(await paths([]), everything);
  // the directory records of the run before (made without the options) do not serve: a cache
  // directory is never recorded (its tree leaves out what it lists), and its parent compares subtrees
  assert.deepEqual(await paths(['--exclude-caches', '--exclude-file', list]), excluded);
  assert.deepEqual(await paths(['--exclude-caches', '--exclude-file', list]), excluded, 'and through its own records');
  assert.deepEqual(await paths([]), everything, 'without the options, all of it again');

  const missing = await w.run(['backup', '--group', 'ex', 'src', '--exclude-file', join(work, 'nope.txt')], { cwd: work });
  assert.equal(missing.code, EXIT.usage);
  assert.match(missing.stderr, /--exclude-file .*nope\.txt: ENOENT/);
});

test('what the backup excludes does not wake a watcher', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(join(src, 'build', 'deep'), { recursive: true });
  mkdirSync(join(src, 'scratch'));
  writeFileSync(join(src, 'a.txt'), 'kept');
  writeFileSync(join(src, 'build', 'CACHEDIR.TAG'), `${SIGNATURE}\n`);
  const watch = startWatch(t, w, ['--debounce', '0.3', '--group', 'exw', '--exclude', '*.log', '--exclude', 'src/scratch', '--exclude-caches', 'src'], work);
  await watch.snapshotAfter(0, 30_000);
  const before = watch.events.length;
  // a second of churn where the backup does not look: a log by name, a directory by path, a cache
  for (let i = 0; i < 10; i++) {
    writeFileSync(join(src, 'app.log'), `line ${i}\n`, { flag: 'a' });
    writeFileSync(join(src, 'scratch', `s${i}`), 'scratch');
    writeFileSync(join(src, 'build', `obj${i}.o`), 'object');
    writeFileSync(join(src, 'build', 'deep', `more${i}.o`), 'object');
    await sleep(100);
  }
  await sleep(2000); // several debounces
  assert.deepEqual(watch.events.slice(before).filter((e) => e.event === 'snapshot'), [], 'no snapshot for changes the backup leaves out');
  const changed = Date.now();
  writeFileSync(join(src, 'a.txt'), 'changed');
  const snap = await watch.snapshotAfter(changed, 30_000);
  const ls = await w.json<{ entries: Array<{ path: string }> }>(['ls', snap.snapshot.id]);
  assert.deepEqual(ls.entries.map((e) => e.path), ['src', 'src/a.txt', 'src/build', 'src/build/CACHEDIR.TAG']);
});
