// makeDirs (core/src/fs/make-dirs.ts): what mkdir -p does, without Node's recursive mkdir's
// endless loop on procfs, and with every other failure thrown as it came.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../../core/src/fs/make-dirs.js';
import { tempDir } from '../helpers/tmp.js';

test('makeDirs makes what is missing, takes what exists, and refuses what it cannot make', (t) => {
  const dir = tempDir(t);
  makeDirs(join(dir, 'a', 'b', 'c'), 0o700);
  assert.ok(statSync(join(dir, 'a', 'b', 'c')).isDirectory());
  assert.equal(statSync(join(dir, 'a', 'b', 'c')).mode & 0o777, 0o700);
  makeDirs(join(dir, 'a', 'b'));
  mkdirSync(join(dir, 'real'));
  symlinkSync(join(dir, 'real'), join(dir, 'link'));
  makeDirs(join(dir, 'link', 'under'));
  assert.ok(statSync(join(dir, 'real', 'under')).isDirectory(), 'through a symlink to a directory, as mkdir -p');
  writeFileSync(join(dir, 'file'), 'x');
  assert.throws(() => makeDirs(join(dir, 'file', 'x')), { code: 'ENOTDIR' });
  assert.throws(() => makeDirs('/proc/1/haven-make-dirs'), { code: 'ENOENT' }, 'procfs refuses, and that is the answer');
});
