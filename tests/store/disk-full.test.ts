// A full disk: the datastore on a small tmpfs runs out of space mid-upload. The upload fails
// with STORAGE_FULL, nothing is half-committed, `store check` is clean, and the same backup
// succeeds once space is freed, without restarting the daemon.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HavenError } from '../../core/src/errors.js';
import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { fileEntry, framesOf, makeObject, treeOf } from '../helpers/objects.js';
import { needRoot } from '../helpers/prereq.js';
import { verifySnapshot } from '../helpers/readback.js';
import { tempDir } from '../helpers/tmp.js';

function freeBytes(dir: string): number {
  const out = execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' });
  return Number(out.trim().split('\n')[1]);
}

test('running out of space fails cleanly and the backup succeeds once space is freed', { timeout: 120_000 }, async (t) => {
  if (!needRoot(t, 'mounting a size-limited tmpfs')) return;
  const dataDir = join(tempDir(t), 'state');
  const small = mkdtempSync(join(tmpdir(), 'haven-small-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', small]);
  t.after(() => {
    execFileSync('umount', ['-l', small]);
    rmSync(small, { recursive: true, force: true });
  });
  const datastore = join(small, 'datastore');
  // A reserve of one byte: this test is about the file system's own ENOSPC, which the free-space
  // reserve (full-datastore.test.ts) normally keeps away, and the automatic reserve is larger than this tmpfs.
  const env = { HAVEND_DATASTORE_PATH: datastore, HAVEND_DATASTORE_RESERVE_BYTES: '1' };
  const token = createToken(dataDir, 'backup:full');
  const d = await startDaemon(t, { dataDir, env });
  const api = d.client(token);

  // Leave ~12 MiB free, then try to back up 24 MiB of incompressible data.
  const filler = join(small, 'filler');
  writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(small) - 12 * 1024 * 1024)));
  const chunks = Array.from({ length: 24 }, () => makeObject(ObjectKind.data, randomBytes(1024 * 1024)));
  const root = treeOf(chunks.map((c, i) => fileEntry(`part-${i}`, [c])));
  const objects = [...chunks, root];

  const s1 = await api.startBackup({ group: 'full' });
  const err = await api.uploadFrames(s1.session, framesOf(objects)).then(
    () => assert.fail('the upload should have run out of space'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HavenError && err.code === 'STORAGE_FULL', String(err));
  assert.equal(err.status, 507);
  await assert.rejects(api.commit(s1.session, { root: toHex(root.digest) }), (e: unknown) => e instanceof HavenError && e.code === 'MISSING_OBJECTS');
  assert.equal((await api.snapshots('full')).snapshots.length, 0, 'nothing was committed');
  const check = havend(['store', 'check', '--data', dataDir], env);
  assert.equal(check.code, 0, check.stdout + check.stderr);

  // Free the space: the same backup now succeeds on the same daemon.
  rmSync(filler);
  const s2 = await api.startBackup({ group: 'full' });
  const up = await api.uploadFrames(s2.session, framesOf(objects));
  assert.equal(up.objectsNew + up.objectsDuplicate, objects.length);
  const c = await api.commit(s2.session, { root: toHex(root.digest) });
  assert.equal(await verifySnapshot(api, c.snapshot.id), 24 * 1024 * 1024);
  await d.stop();
  const after = havend(['store', 'check', '--data', dataDir], env);
  assert.equal(after.code, 0, after.stdout + after.stderr);
});
