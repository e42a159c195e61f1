import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { isRoot } from '../helpers/prereq.js';
import { makeSourceTree } from '../helpers/source-tree.js';
import { describeTree } from '../helpers/tree-compare.js';
import { tempDir } from '../helpers/tmp.js';

test('backup and restore round-trip every file type with exact metadata', async (t) => {
  const w = await cliWorld(t);
  const posix = createPosixOps();
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(src);
  await makeSourceTree(src, posix, { asRoot: isRoot() });

  type Backup = { snapshot: { id: string; root: string; paths: string[]; stats: Record<string, number> }; warnings: string[] };
  const backup = await w.json<Backup>(['backup', '--group', 'rt', 'src'], { cwd: work });
  assert.deepEqual(backup.warnings, []);
  assert.deepEqual(backup.snapshot.paths, ['src'], 'paths are stored as given');
  // from the files cache (content and xattrs), the very same trees
  const again = await w.json<Backup>(['backup', '--group', 'rt', 'src'], { cwd: work });
  assert.equal(again.snapshot.stats.filesRead, 0);
  assert.equal(again.snapshot.root, backup.snapshot.root, 'an unchanged tree has the same digest');

  const target = join(work, 'restored');
  const restored = await w.json<{ warnings: string[]; bytesSparse: number }>(['restore', 'latest', '--group', 'rt', '--target', target]);
  assert.deepEqual(restored.warnings, []);
  assert.ok(restored.bytesSparse >= 14 << 20, `holes left unwritten: ${restored.bytesSparse}`);

  const before = await describeTree(src, posix);
  const after = await describeTree(join(target, 'src'), posix);
  assert.deepEqual([...after.keys()], [...before.keys()], 'same entries');
  for (const [path, b] of before) {
    const a = after.get(path);
    assert.ok(a, path);
    const { blocks: ab, ...ra } = a;
    const { blocks: bb, ...rb } = b;
    assert.deepEqual(ra, rb, `${path} is restored exactly`);
    if (path === 'sparse.img') assert.ok(ab <= bb + 64, `sparse.img keeps its holes (${ab} blocks restored, ${bb} in the source)`);
  }
  assert.equal(after.get('hl2')?.links.length, 3, 'hard links restored as links');
  if (isRoot()) {
    assert.equal(after.get('a.txt')?.uid, 1234);
    assert.equal(after.get('null')?.rdev, statSync('/dev/null').rdev);
  }

  // the same snapshot listed and checked through the CLI
  const ls = await w.json<{ entries: Array<{ path: string; type: string }> }>(['ls', backup.snapshot.id.slice(0, 10), 'src/sub']);
  assert.ok(ls.entries.some((e) => e.path === 'src/sub/large.bin' && e.type === 'file'));
  const check = await w.json<{ problems: string[]; chunks: number }>(['check', 'latest', '--group', 'rt', '--read-data']);
  assert.deepEqual(check.problems, []);
  assert.ok(check.chunks > 64, 'the large file went through a list object');
});
