// haven find against a real havend: names and stored paths matched across every snapshot of
// every readable group, newest first, each snapshot with the entry as it was then; --group and
// --last narrow it. Directories shared between snapshots are fetched once for the whole search.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FindResult } from '../../core/src/api/snapshots.js';
import { fromHex } from '../../core/src/objects/digest.js';
import { pathMatcher } from '../../core/src/text/path-glob.js';
import { TreeSearch } from '../../core/src/objects/tree-search.js';
import { findSource } from '../../client/src/remote/find-source.js';
import { ObjectFetcher, type ObjectHandler } from '../../client/src/remote/object-fetcher.js';
import { TreeSource } from '../../client/src/remote/tree-source.js';
import { WalkBudget } from '../../client/src/remote/walk-budget.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { tempDir } from '../helpers/tmp.js';

interface Found {
  searched: number;
  snapshots: Array<{ id: string; group: string; entries: Array<{ path: string; size: number; type: string }> }>;
}

test('haven find: every snapshot holding a match, newest first, with the entry as it was', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(join(src, 'docs', 'old'), { recursive: true });
  writeFileSync(join(src, 'docs', 'notes.txt'), 'v1\n');
  writeFileSync(join(src, 'docs', 'old', 'notes.txt'), 'an older note\n');
  writeFileSync(join(src, 'budget.ods'), 'numbers');
  const ids: string[] = [];
  const backup = async (group = 'desk'): Promise<string> => (await w.json<{ snapshot: { id: string } }>(['backup', '--group', group, 'src'], { cwd: work })).snapshot.id;
  ids.push(await backup());
  writeFileSync(join(src, 'docs', 'notes.txt'), 'version two\n');
  ids.push(await backup());
  rmSync(join(src, 'budget.ods'));
  writeFileSync(join(src, 'docs', 'report-2026.pdf'), '%PDF');
  ids.push(await backup());
  const other = await backup('laptop');

  const find = (...args: string[]): Promise<Found> => w.json<Found>(['find', ...args]);
  // by name, at any depth, in both groups; the newest snapshot of a group first
  const notes = await find('notes.txt');
  assert.equal(notes.searched, 4);
  assert.deepEqual(notes.snapshots.map((s) => s.id), [ids[2], ids[1], ids[0], other]);
  for (const s of notes.snapshots) assert.deepEqual(s.entries.map((e) => e.path), ['src/docs/notes.txt', 'src/docs/old/notes.txt']);
  // each with the file as it was in that snapshot
  assert.deepEqual(notes.snapshots.map((s) => s.entries[0]?.size), [12, 12, 3, 12]);

  // gone since, and new since
  assert.deepEqual((await find('budget.*')).snapshots.map((s) => s.id), [ids[1], ids[0]]);
  assert.deepEqual((await find('report-*.pdf', '--group', 'desk')).snapshots.map((s) => s.id), [ids[2]]);
  // a pattern with / matches the stored path, anchored; several patterns are alternatives
  const paths = await find('src/docs/*.txt', '*.pdf', '--group', 'desk', '--last', '1');
  assert.equal(paths.searched, 1);
  assert.deepEqual(paths.snapshots[0]?.entries.map((e) => e.path), ['src/docs/notes.txt', 'src/docs/report-2026.pdf']);
  assert.deepEqual((await find('nothing-like-this')).snapshots, []);

  const text = await w.run(['find', 'report-*.pdf', '--group', 'desk']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^snapshot ${ids[2]?.slice(0, 12)} of desk .*: 1 match\\n  -0644 .* src/docs/report-2026\\.pdf\\n1 of 3 snapshot\\(s\\) hold a match\\n$`));
  assert.equal((await w.run(['find'])).code, 2, 'a pattern is required');

  // the appliance answers the same search for the UI
  const admin = w.daemon.client(w.token);
  t.after(() => admin.close());
  const served = await admin.json<FindResult>('GET', `/api/v1/groups/desk/find?pattern=${encodeURIComponent('notes.txt')}`);
  const cli = await find('notes.txt', '--group', 'desk');
  assert.equal(served.truncated, false);
  assert.equal(served.searched, cli.searched);
  assert.deepEqual(served.snapshots.map((s) => [s.id, s.entries.map((e) => [e.path, e.size, e.type])]),
    cli.snapshots.map((s) => [s.id, s.entries.map((e) => [e.path, e.size, e.type])]));
  assert.deepEqual((await admin.json<FindResult>('GET', '/api/v1/groups/desk/find?pattern=src%2Fdocs%2Fold&last=1')).snapshots.map((s) => s.entries.map((e) => e.path)), [['src/docs/old']]);
  await assert.rejects(admin.json('GET', '/api/v1/groups/desk/find'), (err: Error & { code?: string; status?: number }) => err.code === 'VALIDATION_FAILED' && err.status === 400);

  // the search's fetches: each directory once, however many snapshots share it
  const api = admin;
  const requested: string[] = [];
  class Counted extends ObjectFetcher {
    override async many(digests: readonly Uint8Array[], onObject: ObjectHandler): Promise<void> {
      for (const d of digests) requested.push(Buffer.from(d).toString('hex'));
      return super.many(digests, onObject);
    }
  }
  const search = new TreeSearch(pathMatcher(['notes.txt']));
  const budget = new WalkBudget();
  const roots: string[] = [];
  for (const id of ids) {
    const s = await api.snapshot(id);
    roots.push(s.root);
    assert.equal((await search.under(findSource(new TreeSource(new Counted(api, id), budget)), fromHex(s.root), '')).length, 2);
  }
  assert.equal(new Set(requested).size, requested.length, 'no tree was fetched twice');
  // three roots, src three times (it changed each time), docs three times, docs/old once
  assert.equal(requested.length, 3 + 3 + 3 + 1);
});
