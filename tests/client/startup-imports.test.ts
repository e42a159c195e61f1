// The client never loads TypeBox: importing it costs ~0.3 s of CPU at every start and in every
// worker thread (client/src/api/json-schemas-export.ts). Wire types come from core/src/api with
// `import type` (erased at build) and answers are checked against the exported JSON schemas.
// A module hook records every module the real commands resolve, workers included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

const HOOKS = `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, resolved.url + '\\n');
  return resolved;
}
`;

test('no haven command loads TypeBox, in the main thread or its workers', async (t) => {
  const w = await cliWorld(t);
  const dir = tempDir(t, 'haven-hooks-');
  const log = join(dir, 'resolved.log');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { log: ${JSON.stringify(log)} } });\n`,
  );
  // Two workers are enough to see what a worker loads.
  const env = { NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}`, HAVEN_WORKERS: '2' };

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

  const resolved = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean));
  // The hook saw what it must see, or its silence about TypeBox would prove nothing.
  for (const module of ['cli/commands/backup.js', 'cli/commands/restore.js', 'api/api-client.js', 'backup/content-worker.js', 'restore/restore-worker.js']) {
    assert.ok([...resolved].some((u) => u.endsWith(`/client/src/${module}`)), `the hook recorded ${module}`);
  }
  const typebox = [...resolved].filter((u) => /\/node_modules\/(typebox|@sinclair\/typebox)\//.test(u));
  assert.deepEqual(typebox, [], 'modules of TypeBox the client loaded');
});
