// A replication pull while the source's segment reads fail below its store (EIO, short
// reads; faulty-daemon.ts): the offsite's pull ends with a typed error naming what failed,
// indexes nothing bad, pulls the snapshot once the fault clears, and the copy restores
// bit-exact and checks clean. Short reads cost nothing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import type { ReplicateResponse } from '../../core/src/api/replication.js';
import { createToken, havend } from '../helpers/daemon.js';
import { assertRestoresBitExact, backupSeededTree, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';
import { FAULTY_HAVEND, SMALL_SEGMENTS, segmentFaults, segmentsOf, wholeSegments } from './faulty-daemon.js';

const GROUP = 'mail';

test('a pull over failing source reads: a typed error, nothing bad indexed, bit-exact once the fault clears', async (t) => {
  const faults = segmentFaults(t);
  const pair = await replicationPair(t, GROUP, { sourceEntry: FAULTY_HAVEND, sourceEnv: { ...SMALL_SEGMENTS, ...faults.env } });
  const { source, offsite } = pair;
  const work = tempDir(t);
  // Six files: a segment may hold a whole verified batch (up to 4 MiB) beyond its 1 MiB bound.
  const id = await backupSeededTree(source, GROUP, work, 6, 1280 << 10);
  const segments = segmentsOf(source.dataDir).map((s) => s.id);
  assert.ok(segments.length >= 2, `the snapshot spans several segments (${segments.join(', ')})`);

  const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *']);
  assert.equal(add.code, 0, add.stderr);
  const bad = segments[0] as number;
  faults.set(wholeSegments([bad], 'eio'));
  const failed = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  assert.notEqual(failed.code, 0, 'the pull failed');
  const outcome = JSON.parse(failed.stdout) as ReplicateResponse;
  assert.deepEqual([outcome.pulled, outcome.behind], [0, 1], 'nothing was pulled, the snapshot is left behind');
  assert.ok(faults.hits() >= 2, 'the fault was met, and the source read again');
  const admin = offsite.daemon.client(createToken(offsite.dataDir, 'admin'));
  const task = await admin.json<TaskInfo>('GET', `/api/v1/tasks/${outcome.task}`);
  const log = task.log.map((l) => l.message).join('\n');
  const named = `STORAGE_IO: The datastore's disk failed: segment ${bad} offset \\d+ could not be read \\(EIO\\)`;
  assert.match(log, new RegExp(`a stream failed \\(${named}\\); \\d+ object\\(s\\) of it are asked for again`), 'the offsite got the typed error and asked again');
  assert.match(log, /left 1 snapshot\(s\) behind/);
  assert.equal(source.daemon.proc.exitCode, null, 'the source is up');

  // The EIO clears; reads now come back short: the pull reads on.
  faults.set(wholeSegments(segments, 'short'));
  const healed = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  assert.equal(healed.code, 0, healed.stderr);
  assert.equal((JSON.parse(healed.stdout) as ReplicateResponse).pulled, 1);
  assert.ok(faults.hits() > 0, 'short reads were answered');
  faults.clear();

  await assertRestoresBitExact(offsite, id, work);
  await offsite.daemon.stop();
  const check = havend(['store', 'check', '--data', offsite.dataDir, '--json']);
  assert.equal(check.code, 0, `nothing bad was indexed: ${check.stdout}${check.stderr}`);
});
