// The client never loads TypeBox: importing it costs ~0.3 s of CPU at every start and in every
// worker thread (client/src/api/json-schemas-export.ts). Wire types come from core/src/api with
// `import type` (erased at build) and answers are checked against the exported JSON schemas.
// A module hook (tests/helpers/resolved-modules.ts) records every module the real commands resolve, workers included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { moduleLog, modulesOfPackages } from '../helpers/resolved-modules.js';
import { tempDir } from '../helpers/tmp.js';

test('no haven command loads TypeBox, in the main thread or its workers', async (t) => {
  const w = await cliWorld(t);
  const modules = moduleLog(t);
  // Two workers are enough to see what a worker loads.
  const env = { ...modules.env, HAVEN_WORKERS: '2' };

  const work = tempDir(t);
  mkdirSync(join(work, 'src'));
  writeFileSync(join(work, 'src', 'a'), seededBytes(600_000, 'a'));
  writeFileSync(join(work, 'src', 'b'), 'b');
  const target = tempDir(t);
  const runs = [
    ['login', w.daemon.url, '--token', w.token],
    ['backup', '--group', 'g', 'src'],
    ['snapshots'],
    ['ls', 'latest', '--group', 'g'],
    ['diff', 'latest', 'latest', '--group', 'g'],
    ['check', 'latest', '--group', 'g', '--read-data'],
    ['restore', 'latest', '--group', 'g', '--target', target, '--overwrite'],
    ['version'],
  ];
  for (const args of runs) {
    const r = await w.run(args, { cwd: work, env });
    assert.equal(r.code, 0, `haven ${args.join(' ')}: ${r.stderr}`);
  }
  assert.ok(readFileSync(join(target, 'src', 'a')).equals(seededBytes(600_000, 'a')), 'the restore really ran');

  const resolved = modules.take();
  // The hook saw what it must see, or its silence about TypeBox would prove nothing.
  for (const module of ['cli/commands/backup.js', 'cli/commands/restore.js', 'api/api-client.js', 'backup/content-worker.js', 'restore/restore-worker.js']) {
    assert.ok([...resolved].some((u) => u.endsWith(`/client/src/${module}`)), `the hook recorded ${module}`);
  }
  const typebox = modulesOfPackages(resolved, ['typebox', '@sinclair/typebox']);
  assert.deepEqual(typebox, [], 'modules of TypeBox the client loaded');
});
