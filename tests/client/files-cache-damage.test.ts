// A damaged files cache (its LMDB file truncated, or overwritten in places) used to crash the
// client with SIGSEGV or SIGBUS at every backup until someone deleted it. Now the cache is
// opened only when its file is what the client last sealed (cache-seal.ts): a damaged one is
// started anew, the backup completes with a warning (exit 3) and a correct snapshot, and the
// next backup uses the new cache again. Unchanged backups leave the seal as it was. A cache
// that cannot be opened at all (an unwritable directory) is a warning too, not a failed backup.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../client/src/cli/exit-codes.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { unprivileged } from '../helpers/prereq.js';
import { seededBytes } from '../helpers/real-data.js';
import { settle } from '../helpers/settle.js';
import { tempDir } from '../helpers/tmp.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { assertSameTree, describeTree } from '../helpers/tree-compare.js';

interface Backup {
  snapshot: { id: string; stats: Record<string, number> };
  warnings: string[];
}

/** The one cache directory under HAVEN_CACHE_DIR (datastore id / group). */
function cacheDirOf(root: string): string {
  const [datastore] = readdirSync(root);
  return join(root, datastore as string, 'g');
}

const DAMAGES: Array<[string, (file: string) => void]> = [
  ['truncated after its meta pages', (file) => truncateSync(file, 8192)],
  ['its data pages overwritten', (file) => {
    const fd = openSync(file, 'r+');
    try {
      writeSync(fd, seededBytes(statSync(file).size - 8192, 'garbage'), 0, undefined, 8192);
    } finally {
      closeSync(fd);
    }
  }],
  ['its first page overwritten', (file) => {
    const fd = openSync(file, 'r+');
    try {
      writeSync(fd, seededBytes(4096, 'header'), 0, undefined, 0);
    } finally {
      closeSync(fd);
    }
  }],
];

test('a damaged files cache is started anew with a warning, never trusted or crashed on', { timeout: 120_000 }, async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  for (let d = 0; d < 20; d++) {
    mkdirSync(join(src, `d${d}`), { recursive: true });
    for (let f = 0; f < 20; f++) writeFileSync(join(src, `d${d}`, `f${f}`), seededBytes(2000 + f, `${d}/${f}`));
  }
  await settle();
  const backup = async (expected: number): Promise<Backup> => {
    const r = await w.run(['backup', '--group', 'g', 'src', '--json'], { cwd: work });
    assert.equal(r.code, expected, `exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Backup;
  };
  const first = await backup(EXIT.ok);
  assert.equal(first.snapshot.stats.filesRead, 400);
  const dir = cacheDirOf(w.env.HAVEN_CACHE_DIR as string);
  const data = join(dir, 'data.mdb');
  const seal = readFileSync(join(dir, 'data.mdb.seal'), 'utf8');

  const unchanged = await backup(EXIT.ok);
  assert.equal(unchanged.snapshot.stats.filesRead, 0);
  assert.equal(readFileSync(join(dir, 'data.mdb.seal'), 'utf8'), seal, 'an unchanged backup leaves the cache and its seal as they were');

  for (const [round, [what, damage]] of DAMAGES.entries()) {
    // a new file each round: the save after the damaged run writes, and seals anew
    writeFileSync(join(src, `new-${round}`), what);
    damage(data);
    const b = await backup(EXIT.warnings);
    assert.deepEqual(b.warnings, [`the files cache in ${dir} was damaged (its file is not what this client last saved there); it was started anew`], what);
    const restored = join(work, `restored-${round}`);
    await w.json(['restore', b.snapshot.id, '--target', restored]);
    const posix = createPosixOps();
    assertSameTree(await describeTree(join(restored, 'src'), posix), await describeTree(src, posix), what);
    const after = await backup(EXIT.ok);
    assert.deepEqual(after.warnings, [], `${what}: the new cache is sealed and used`);
  }

  // a cache without a seal (an older client's, or one cut off before sealing) is started anew, quietly
  rmSync(join(dir, 'data.mdb.seal'));
  assert.deepEqual((await backup(EXIT.ok)).warnings, []);
  assert.ok(statSync(join(dir, 'data.mdb.seal')).isFile());
});

test('a files cache that cannot be opened is a warning, and the backup runs without it', async (t) => {
  // root writes anywhere: as root, the CLI runs without the capabilities that bypass permissions
  const prefix = unprivileged(t);
  if (!prefix) return;
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'src'));
  writeFileSync(join(work, 'src', 'a.txt'), 'backed up all the same');
  const locked = join(tempDir(t), 'locked');
  mkdirSync(locked, { mode: 0o555 });
  const r = await w.run(['backup', '--group', 'ro', 'src', '--json'], { cwd: work, prefix, env: { HAVEN_CACHE_DIR: join(locked, 'cache') } });
  assert.equal(r.code, EXIT.warnings, r.stderr);
  const b = JSON.parse(r.stdout) as Backup;
  assert.equal(b.warnings.length, 1);
  assert.match(b.warnings[0] as string, /^the files cache in .*locked\/cache\/.* could not be opened \(EACCES: .*\); this backup ran without it$/);
  const ls = await w.json<{ entries: Array<{ path: string }> }>(['ls', b.snapshot.id]);
  assert.deepEqual(ls.entries.map((e) => e.path), ['src', 'src/a.txt']);
});
