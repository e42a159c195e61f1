// The appliance's search across a group's snapshots (daemon/src/backup/snapshot-find.ts) over
// real encoded trees: a subtree shared by several snapshots is read once for the whole search,
// matches come newest snapshot first in path order, and each bound (matches answered, entries
// walked, matches held) stops it with `truncated` instead of running on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SnapshotSummary } from '../../core/src/api/snapshots.js';
import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { decodeTree, type TreeEntry } from '../../core/src/objects/tree.js';
import { pathMatcher } from '../../core/src/text/path-glob.js';
import { findInSnapshots } from '../../daemon/src/backup/snapshot-find.js';
import { dirEntry, fileEntry, makeObject, treeOf, type TestObject } from '../helpers/objects.js';

test('a search reads each shared subtree once, and stops at its bounds', async () => {
  const stored = new Map<string, Uint8Array>();
  const keep = (o: TestObject): TestObject => {
    stored.set(toHex(o.digest), o.raw);
    return o;
  };
  const chunk = keep(makeObject(ObjectKind.data, Buffer.from('content')));
  const files = (prefix: string, n: number): TreeEntry[] => Array.from({ length: n }, (_, i) => fileEntry(`${prefix}${String(i).padStart(3, '0')}.txt`, [chunk]));
  // a big directory every snapshot shares, and a root that differs in one file
  const shared = keep(treeOf(files('report', 300)));
  const snapshots: SnapshotSummary[] = [];
  for (let s = 0; s < 3; s++) {
    const root = keep(treeOf([dirEntry('archive', shared), ...files(`day${s}-`, 2)]));
    snapshots.push({ id: String(s).repeat(64), group: 'g', time: `2026-12-0${s + 1}T00:00:00.000Z`, host: 'h', paths: [], tags: [], root: toHex(root.digest), session: 's', stats: {} });
  }
  const reads = new Map<string, number>();
  const trees = {
    entries: async (digest: Uint8Array): Promise<TreeEntry[]> => {
      const hex = toHex(digest);
      reads.set(hex, (reads.get(hex) ?? 0) + 1);
      const tree = decodeTree(stored.get(hex) as Uint8Array);
      if (!('entries' in tree)) throw new Error('no split trees here');
      return tree.entries;
    },
  };

  const all = await findInSnapshots(trees, snapshots, pathMatcher(['report01?.txt']));
  assert.equal(all.truncated, false);
  assert.equal(all.searched, 3);
  assert.deepEqual(all.found.map((f) => f.entries.map((e) => e.path)), Array.from({ length: 3 }, () => Array.from({ length: 10 }, (_, i) => `archive/report01${i}.txt`)));
  assert.equal(reads.get(toHex(shared.digest)), 1, 'the shared directory was read once for three snapshots');

  const fewer = await findInSnapshots(trees, snapshots, pathMatcher(['*.txt']), { maxEntries: 1_000_000, maxMatches: 350, maxHeld: 20_000 });
  assert.equal(fewer.truncated, true);
  assert.deepEqual(fewer.found.map((f) => f.entries.length), [302, 48]);

  const shallow = await findInSnapshots(trees, snapshots, pathMatcher(['day*']), { maxEntries: 200, maxMatches: 1000, maxHeld: 20_000 });
  assert.equal(shallow.truncated, true);
  assert.equal(shallow.searched, 0, 'the first snapshot alone walks more than 200 entries');

  const greedy = await findInSnapshots(trees, snapshots, pathMatcher(['*']), { maxEntries: 1_000_000, maxMatches: 1000, maxHeld: 250 });
  assert.equal(greedy.truncated, true);
  assert.deepEqual([greedy.searched, greedy.found], [0, []], 'a pattern matching everything stops at what it may hold');
});
