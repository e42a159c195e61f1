// The client's core end-to-end cases, run by round-trip.test.ts and incremental.test.ts on a
// datastore directory and by s3-client.test.ts with the datastore on S3: the same real daemon
// and `haven` client, so "everything on top runs the same on S3" is tested by the same code.

import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import type { CliWorld } from '../helpers/haven-cli.js';
import { isRoot } from '../helpers/prereq.js';
import { seededBytes } from '../helpers/real-data.js';
import { settle } from '../helpers/settle.js';
import { makeSourceTree } from '../helpers/source-tree.js';
import { describeTree, type Described } from '../helpers/tree-compare.js';
import { tempDir } from '../helpers/tmp.js';

/** Runs before each restore or read-back (S3: waits until everything is uploaded, so the cache evicts and reads go to the bucket). */
export type BeforeReads = () => Promise<void>;

const nothing: BeforeReads = () => Promise.resolve();

interface Restored {
  bytesSparse: number;
  /** The restored tree, described. */
  tree: Map<string, Described>;
}

/** Restores `latest` of `group` and compares the tree with `src` (named `name` in the snapshot) exactly. */
export async function restoreMatches(t: TestContext, w: CliWorld, group: string, src: string, name: string): Promise<Restored> {
  const posix = createPosixOps();
  const target = join(tempDir(t), 'restored');
  const restored = await w.json<{ warnings: string[]; bytesSparse: number }>(['restore', 'latest', '--group', group, '--target', target]);
  assert.deepEqual(restored.warnings, []);
  const before = await describeTree(src, posix);
  const after = await describeTree(join(target, name), posix);
  assert.deepEqual([...after.keys()], [...before.keys()], 'same entries');
  for (const [path, b] of before) {
    const a = after.get(path);
    assert.ok(a, path);
    const { blocks: ab, ...ra } = a;
    const { blocks: bb, ...rb } = b;
    assert.deepEqual(ra, rb, `${path} is restored exactly`);
    if (path === 'sparse.img') assert.ok(ab <= bb + 64, `sparse.img keeps its holes (${ab} blocks restored, ${bb} in the source)`);
  }
  return { bytesSparse: restored.bytesSparse, tree: after };
}

export async function roundTripCase(t: TestContext, w: CliWorld, beforeReads: BeforeReads = nothing): Promise<void> {
  const posix = createPosixOps();
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(src);
  await makeSourceTree(src, posix, { asRoot: isRoot() });
  await settle();

  type Backup = { snapshot: { id: string; root: string; paths: string[]; stats: Record<string, number> }; warnings: string[] };
  const backup = await w.json<Backup>(['backup', '--group', 'rt', 'src'], { cwd: work });
  assert.deepEqual(backup.warnings, []);
  assert.deepEqual(backup.snapshot.paths, ['src'], 'paths are stored as given');
  // from the files cache (content and xattrs), the very same trees
  const again = await w.json<Backup>(['backup', '--group', 'rt', 'src'], { cwd: work });
  assert.equal(again.snapshot.stats.filesRead, 0);
  assert.equal(again.snapshot.root, backup.snapshot.root, 'an unchanged tree has the same digest');

  await beforeReads();
  const restored = await restoreMatches(t, w, 'rt', src, 'src');
  assert.ok(restored.bytesSparse >= 14 << 20, `holes left unwritten: ${restored.bytesSparse}`);
  assert.equal(restored.tree.get('hl2')?.links.length, 3, 'hard links restored as links');
  if (isRoot()) {
    assert.equal(restored.tree.get('a.txt')?.uid, 1234);
    assert.equal(restored.tree.get('null')?.rdev, statSync('/dev/null').rdev);
  }

  // --include: the files are read from the trees again when written (restore-plan.ts), the
  // list-object file and the hard links among them; a link's first path outside is not restored.
  const part = join(tempDir(t), 'part');
  const narrowed = await w.json<{ files: number; links: number }>(['restore', 'latest', '--group', 'rt', '--target', part, '--include', 'src/sub']);
  const whole = await describeTree(join(src, 'sub'), posix);
  const got = await describeTree(join(part, 'src', 'sub'), posix);
  assert.deepEqual([...got.keys()], [...whole.keys()], 'the included directory, whole');
  for (const [path, b] of whole) {
    const { blocks: _ab, links: al, ...a } = got.get(path) as Described;
    const { blocks: _bb, links: _bl, ...rb } = b;
    assert.deepEqual(a, rb, `${path} restored exactly under --include`);
    if (path === 'hl1' || path === 'deep/hl3') assert.deepEqual(al, ['deep/hl3', 'hl1'], `${path}: one inode with the other restored path`);
  }
  assert.deepEqual([narrowed.files, narrowed.links], [3, 1], 'sub/hl1, sub/random.bin and sub/large.bin written, sub/deep/hl3 linked');

  // the same snapshot listed and checked through the CLI
  const ls = await w.json<{ entries: Array<{ path: string; type: string }> }>(['ls', backup.snapshot.id.slice(0, 10), 'src/sub']);
  assert.ok(ls.entries.some((e) => e.path === 'src/sub/large.bin' && e.type === 'file'));
  const check = await w.json<{ problems: string[]; chunks: number }>(['check', 'latest', '--group', 'rt', '--read-data']);
  assert.deepEqual(check.problems, []);
  assert.ok(check.chunks > 64, 'the large file went through a list object');
}

interface BackupJson {
  snapshot: { id: string; stats: Record<string, number> };
  session: { stats: { objectsNew: number; objectsDuplicate: number; hasQueried: number; hasPresent: number; bytesNew: number; rawBytesNew: number } };
}

/** Incremental backups; answers the source directory (`src` under the returned work directory). */
export async function incrementalCase(t: TestContext, w: CliWorld): Promise<string> {
  const work = tempDir(t);
  const dirs = ['d0', 'd1', 'd2', 'd3'];
  for (const d of dirs) {
    mkdirSync(join(work, 'src', d), { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(join(work, 'src', d, `f${i}`), seededBytes(20_000 + i * 500, `${d}/${i}`));
  }
  writeFileSync(join(work, 'src', 'd3', 'big'), seededBytes(6 << 20, 'big'));
  await settle();
  const first = await w.json<BackupJson>(['backup', '--group', 'inc', 'src'], { cwd: work });
  assert.equal(first.snapshot.stats.filesRead, 201);

  // 5% of the 200 small files, all in d1: appended to, so each is one new chunk
  for (let i = 0; i < 10; i++) appendFileSync(join(work, 'src', 'd1', `f${i * 5}`), 'changed');
  await settle();
  const second = await w.json<BackupJson>(['backup', '--group', 'inc', 'src'], { cwd: work });
  const st = second.session.stats;
  assert.equal(second.snapshot.stats.filesRead, 10, 'only the changed files are read');
  assert.equal(second.snapshot.stats.filesCached, 191);
  // 10 chunks + the trees of d1, src and the snapshot root; nothing the store had was sent
  assert.equal(st.objectsNew, 13);
  assert.equal(st.objectsDuplicate, 0);
  assert.ok(st.rawBytesNew < 400_000, `raw bytes uploaded: ${st.rawBytesNew}`);
  assert.ok(st.hasQueried <= 10 + 3 + 8, `has queried ${st.hasQueried} digests`);

  // Without a files cache, the previous snapshot's trees stand in: nothing is read again.
  rmSync(w.env.HAVEN_CACHE_DIR as string, { recursive: true });
  const third = await w.json<BackupJson>(['backup', '--group', 'inc', 'src'], { cwd: work });
  assert.equal(third.snapshot.stats.filesRead, 0);
  assert.equal(third.session.stats.objectsNew, 0);
  assert.equal(third.snapshot.stats.filesCached, 201);

  // and the cache written by that run serves the next one
  const fourth = await w.json<BackupJson>(['backup', '--group', 'inc', 'src'], { cwd: work });
  assert.equal(fourth.snapshot.stats.filesRead, 0);
  // src and d0-d3 are the directories of the third run (its directory records): only the
  // snapshot's root tree is made and asked about
  assert.equal(fourth.session.stats.hasQueried, 1, 'only the root tree is asked about');
  return join(work, 'src');
}
