// haven backup --exclude-file and --exclude-caches against a real havend: patterns read from a
// file (comments and blank lines skipped) as --exclude takes them, and a directory marked as a
// cache by a CACHEDIR.TAG with the standard signature kept with its tag only (a tag without the
// signature marks nothing), run after run with the files cache, and not when the option is off.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../client/src/cli/exit-codes.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { settle } from '../helpers/settle.js';
import { tempDir } from '../helpers/tmp.js';

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
