// Restores through the real daemon and client while the reads of one snapshot's segment fail
// below the store (EIO, short reads; faulty-daemon.ts): the client ends with a typed error
// naming the segment, the daemon stays up, a snapshot on healthy segments restores meanwhile,
// short reads are read on, and once a transient fault has passed the restore is bit-exact.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { exitCodeFor } from '../../client/src/cli/exit-codes.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import type { ErrorCode } from '../../core/src/errors.js';
import { cliWorld, type CliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree-compare.js';
import { FAULTY_HAVEND, SMALL_SEGMENTS, segmentFaults, segmentsOf, wholeSegments } from './faulty-daemon.js';

const posix = createPosixOps();

async function contents(dir: string): Promise<Map<string, string>> {
  return new Map([...(await describeTree(dir, posix))].map(([k, v]) => [k, v.sha ?? v.type]));
}

async function backup(world: CliWorld, work: string, name: string, files: number, bytes: number): Promise<string> {
  const src = join(work, name);
  mkdirSync(src, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(src, `part-${i}.bin`), seededBytes(bytes, `${name}-${i}`));
  const r = await world.json<{ snapshot: { id: string } }>(['backup', '--group', name, name], { cwd: work });
  return r.snapshot.id;
}

async function restore(world: CliWorld, work: string, id: string, as: string) {
  const target = join(work, as);
  const r = await world.run(['restore', id, '--target', target, '--json']);
  return { ...r, target };
}

/** A failed restore's typed error; every file it left in the target is bit-exact (none is wrong). */
async function assertFailedCleanly(r: { code: number | null; stdout: string; target: string }, code: ErrorCode, names: RegExp, source: string): Promise<void> {
  const { error } = JSON.parse(r.stdout) as { error: { code: ErrorCode; message: string } };
  assert.equal(error.code, code, error.message);
  assert.equal(r.code, exitCodeFor(code), 'the exit code of the typed error');
  assert.match(error.message, names);
  const want = await contents(source);
  const left = existsSync(join(r.target, 'alpha')) ? await contents(join(r.target, 'alpha')) : new Map<string, string>();
  for (const [path, sha] of left) assert.equal(sha, want.get(path), `${path} is left in the target only as backed up`);
}

test('restores over failing segment reads: typed errors, no wrong bytes, the daemon stays up', async (t) => {
  const faults = segmentFaults(t);
  const world = await cliWorld(t, { ...SMALL_SEGMENTS, ...faults.env }, FAULTY_HAVEND);
  const work = tempDir(t);
  // Ten files: uploads are appended a verified batch (up to one 4 MiB arena) at a time, so a
  // segment can hold several MiB beyond its 1 MiB bound; alpha must still span three or more.
  const a = await backup(world, work, 'alpha', 10, 1280 << 10);
  const alphaSegments = segmentsOf(world.dataDir).map((s) => s.id);
  const b = await backup(world, work, 'beta', 1, 1 << 20);
  // alpha's first segments were full before beta began: only alpha's data lies in them
  const [first, second] = alphaSegments.slice(0, -1) as [number, number];
  assert.ok(second !== undefined, `alpha spans several segments (${alphaSegments.join(', ')})`);
  const alphaBitExact = async (as: string): Promise<void> => {
    const r = await restore(world, work, a, as);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await contents(join(r.target, 'alpha')), await contents(join(work, 'alpha')), `alpha restores bit-exact (${as})`);
  };

  // A segment that fails for good, where the restore's first read falls, then past it (the
  // response breaks off; the client asks again for the rest and gets the typed error).
  for (const [segment, as] of [[first, 'alpha-eio-first'], [second, 'alpha-eio-later']] as const) {
    faults.set(wholeSegments([segment], 'eio'));
    await assertFailedCleanly(await restore(world, work, a, as), 'STORAGE_IO', new RegExp(`segment ${segment} offset \\d+ could not be read \\(EIO\\)`), join(work, 'alpha'));
    assert.ok(faults.hits() >= 4, 'the fault was met, the appliance read again, the client asked again');
  }
  const beta = await restore(world, work, b, 'beta-meanwhile');
  assert.equal(beta.code, 0, beta.stderr);
  assert.deepEqual(await contents(join(beta.target, 'beta')), await contents(join(work, 'beta')), 'beta restores bit-exact while alpha\'s segment fails');
  assert.equal(world.daemon.proc.exitCode, null, 'the daemon is up');

  faults.set(wholeSegments(alphaSegments, 'short'));
  await alphaBitExact('alpha-short');
  assert.ok(faults.hits() > 0, 'short reads were answered');

  // transient: one failed read (the appliance reads again), then two (the client asks again)
  faults.set(wholeSegments([first], 'eio', 1));
  await alphaBitExact('alpha-transient-once');
  assert.equal(faults.hits(), 1);
  faults.set(wholeSegments([second], 'eio', 2));
  await alphaBitExact('alpha-transient-twice');
  assert.equal(faults.hits(), 2);
});
