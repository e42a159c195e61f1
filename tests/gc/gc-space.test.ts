// Space comes back: three backups of a tree whose content is mostly replaced between runs,
// then `havend prune --group G --keep-last 1` and two runs of `havend gc --wait` leave the
// datastore (segments and index, blocks allocated) at most 1.3x what the last snapshot
// references; the last snapshot still restores bit-exact.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GcRun } from '../../core/src/api/gc.js';
import { havend } from '../helpers/daemon.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { GC_TEST_ENV } from './gc-daemon.js';

const FILES = 48;
const FILE_BYTES = 1 << 20;

/** Allocated bytes under a directory (du: what the file system really gave). */
function allocated(dir: string): number {
  return Number(execFileSync('du', ['-s', '--block-size=1', dir], { encoding: 'utf8' }).split('\t')[0]);
}

test('prune --keep-last 1 and two gc runs leave at most 1.3x what the last snapshot references', { timeout: 300_000 }, async (t) => {
  const w = await cliWorld(t, { ...GC_TEST_ENV, HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(4 << 20), HAVEND_GC_RATE_BYTES_PER_SECOND: '0' });
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(src);
  for (let round = 0; round < 3; round++) {
    // five files in six replaced each time (incompressible: stored bytes = file bytes)
    for (let i = 0; i < FILES; i++) if (round === 0 || i % 6 !== 0) writeFileSync(join(src, `f${i}`), randomBytes(FILE_BYTES));
    const r = await w.run(['backup', '--group', 'space', 'src', '--json'], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
  }
  const datastore = join(w.dataDir, 'datastore');
  const full = allocated(datastore);

  const dataArgs = ['--data', w.dataDir];
  const prune = havend(['prune', '--group', 'space', '--keep-last', '1', '--json', ...dataArgs]);
  assert.equal(prune.code, 0, prune.stderr);
  const runs: GcRun[] = [];
  for (let i = 0; i < 2; i++) {
    const g = havend(['gc', '--wait', '--json', ...dataArgs]);
    assert.equal(g.code, 0, g.stdout + g.stderr);
    runs.push(JSON.parse(g.stdout) as GcRun);
  }
  assert.ok((runs[1]?.summary?.reclaimedObjects ?? 0) > 0, 'the second run reclaims what the first condemned');
  const referenced = readdirSync(src).reduce((n, f) => n + statSync(join(src, f)).size, 0);
  const left = allocated(datastore);
  const ratio = left / referenced;
  t.diagnostic(`datastore ${(full / 1048576).toFixed(1)} MiB after 3 backups, ${(left / 1048576).toFixed(1)} MiB after prune + 2 gc; last snapshot references ${(referenced / 1048576).toFixed(1)} MiB: ${ratio.toFixed(2)}x (compaction: ${runs.map((r) => r.summary?.compaction.segments ?? 0).join(' + ')} segment(s))`);
  assert.ok(ratio <= 1.3, `datastore is ${ratio.toFixed(2)}x the last snapshot`);

  const target = join(work, 'restored');
  const r = await w.run(['restore', 'latest', '--group', 'space', '--target', target]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of readdirSync(src)) assert.ok(readFileSync(join(target, 'src', f)).equals(readFileSync(join(src, f))), `${f} restored bit-exact`);
  await w.daemon.stop();
  const check = havend(['store', 'check', '--data', w.dataDir]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
});
