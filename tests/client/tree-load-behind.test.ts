// check's walk behind the level-by-level tree load (TreeSource.loadAllBehind), against a real
// havend: the walk yields what a walk after the whole load yields, asks for no tree on its
// own (as many tree requests as the load alone makes, far fewer than directories), and a
// load that fails ends the walk waiting on it with the load's error instead of leaving it
// waiting. Both ways of keeping trees: decoded, and as their bytes decoded at each use (check).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../client/src/api/api-client.js';
import { resolveSnapshot } from '../../client/src/cli/snapshot-ref.js';
import { ObjectFetcher } from '../../client/src/remote/object-fetcher.js';
import { TreeSource } from '../../client/src/remote/tree-source.js';
import { walkTree } from '../../client/src/remote/tree-walk.js';
import { fromHex } from '../../core/src/objects/digest.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

/** Directories `fanout` wide and `depth` deep, each with two small files; answers how many directories. */
function makeTree(dir: string, depth: number, fanout: number, seed = 'd'): number {
  writeFileSync(join(dir, 'a.txt'), seededBytes(200 + depth, `${seed}a`));
  writeFileSync(join(dir, 'b.bin'), seededBytes(3000, `${seed}b`));
  if (depth === 0) return 1;
  let dirs = 1;
  for (let i = 0; i < fanout; i++) {
    const sub = join(dir, `sub${i}`);
    mkdirSync(sub);
    dirs += makeTree(sub, depth - 1, fanout, `${seed}${i}`);
  }
  return dirs;
}

/** The real fetcher, with its batched requests counted (and the `failAt`-th failed, when given). */
function countedFetcher(api: ApiClient, snapshot: string, failAt?: number): { fetcher: ObjectFetcher; requests: () => number } {
  const fetcher = new ObjectFetcher(api, snapshot);
  const many = fetcher.many.bind(fetcher);
  let requests = 0;
  fetcher.many = async (digests, onObject) => {
    if (digests.length === 0) return many(digests, onObject); // asks the appliance nothing
    if (++requests === failAt) throw new Error('the appliance went away');
    return many(digests, onObject);
  };
  return { fetcher, requests: () => requests };
}

async function walkedPaths(trees: TreeSource, root: Uint8Array): Promise<string[]> {
  const paths: string[] = [];
  for await (const { path } of walkTree(trees, root, '')) paths.push(path);
  return paths;
}

for (const decodeOnUse of [false, true]) test(`a walk behind the tree load yields the same entries and fetches no tree on its own${decodeOnUse ? ' (trees kept as bytes, as check keeps them)' : ''}`, async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'p'));
  const dirs = makeTree(join(work, 'p'), 4, 3);
  await w.json(['backup', '--group', 'behind', 'p'], { cwd: work });
  const api = new ApiClient({ server: w.daemon.url, token: w.token });
  t.after(() => api.close());
  const snap = await resolveSnapshot(api, 'latest', 'behind');
  const root = fromHex(snap.root);

  const first = countedFetcher(api, snap.id);
  const loadedFirst = new TreeSource(first.fetcher);
  await loadedFirst.loadAll(root);
  const expected = await walkedPaths(loadedFirst, root);

  const behind = countedFetcher(api, snap.id);
  const trees = new TreeSource(behind.fetcher, undefined, { decodeOnUse });
  const loaded = trees.loadAllBehind(root);
  const paths = await walkedPaths(trees, root);
  await loaded;

  assert.equal(paths.length, expected.length);
  assert.deepEqual(paths, expected, 'the same entries in the same order');
  assert.ok(paths.length > dirs * 2, `${paths.length} entries under ${dirs} directories`);
  assert.equal(behind.requests(), first.requests(), 'no tree fetched apart from its level');
  assert.ok(behind.requests() < dirs / 4, `${behind.requests()} tree requests for ${dirs} directories`);
  // Once the load is over, walks fetch as before.
  assert.deepEqual(await walkedPaths(trees, root), expected);
});

test('a tree load that fails ends the walk behind it with its error', { timeout: 60_000 }, async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'p'));
  makeTree(join(work, 'p'), 4, 2);
  await w.json(['backup', '--group', 'behind', 'p'], { cwd: work });
  const api = new ApiClient({ server: w.daemon.url, token: w.token });
  t.after(() => api.close());
  const snap = await resolveSnapshot(api, 'latest', 'behind');
  const root = fromHex(snap.root);

  // Levels: the root, p, then p's subdirectories: the third request fails, while the walk
  // waits for that level.
  const { fetcher } = countedFetcher(api, snap.id, 3);
  const trees = new TreeSource(fetcher);
  const loaded = trees.loadAllBehind(root);
  await assert.rejects(walkedPaths(trees, root), /the appliance went away/);
  await assert.rejects(loaded, /the appliance went away/);
});
