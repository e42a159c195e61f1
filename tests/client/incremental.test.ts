import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

interface BackupJson {
  snapshot: { id: string; stats: Record<string, number> };
  session: { stats: { objectsNew: number; objectsDuplicate: number; hasQueried: number; hasPresent: number; bytesNew: number; rawBytesNew: number } };
}

test('after changing 5% of the files, the next backup reads and uploads only those (session stats)', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const dirs = ['d0', 'd1', 'd2', 'd3'];
  for (const d of dirs) {
    mkdirSync(join(work, 'src', d), { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(join(work, 'src', d, `f${i}`), seededBytes(20_000 + i * 500, `${d}/${i}`));
  }
  writeFileSync(join(work, 'src', 'd3', 'big'), seededBytes(6 << 20, 'big'));
  const first = await w.json<BackupJson>(['backup', '--group', 'inc', 'src'], { cwd: work });
  assert.equal(first.snapshot.stats.filesRead, 201);

  // 5% of the 200 small files, all in d1: appended to, so each is one new chunk
  for (let i = 0; i < 10; i++) appendFileSync(join(work, 'src', 'd1', `f${i * 5}`), 'changed');
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
  assert.equal(fourth.session.stats.hasQueried, 6, 'only the six trees (root, src, d0-d3) are asked about');
});
