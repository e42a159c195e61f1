// A byte flipped in flight, inside one frame of the source's object stream (a proxy between
// the two appliances): the offsite's ingest refuses the frame with a typed error, indexes
// nothing of it, asks for the object again, and ends with a snapshot that restores bit-exact;
// its datastore checks clean.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import type { ReplicateResponse } from '../../core/src/api/replication.js';
import { createToken, havend } from '../helpers/daemon.js';
import { flipProxy } from '../helpers/flip-proxy.js';
import { assertRestoresBitExact, backupSeededTree, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'mail';

test('a frame damaged in flight is refused, fetched again, and the copy is bit-exact', async (t) => {
  const pair = await replicationPair(t, GROUP);
  const { source, offsite } = pair;
  const work = tempDir(t);
  const id = await backupSeededTree(source, GROUP, work, 6, 3 << 20);

  // 5 MiB into a stream: inside the data (random, stored uncompressed), past any tree stream
  const proxy = await flipProxy(t, source.daemon.url, 5 << 20);
  const add = await pair.havend(['peer', 'add', 'primary', '--url', proxy.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *']);
  assert.equal(add.code, 0, add.stderr);
  const pulled = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(proxy.flipped(), 1, 'the proxy damaged one byte');
  assert.equal((JSON.parse(pulled.stdout) as ReplicateResponse).pulled, 1);

  const admin = offsite.daemon.client(createToken(offsite.dataDir, 'admin'));
  const { tasks } = await admin.json<{ tasks: TaskInfo[] }>('GET', '/api/v1/tasks?kind=replication.pull');
  const log = tasks.flatMap((task) => task.log.map((l) => l.message)).join('\n');
  assert.match(log, /a stream failed \(DIGEST_MISMATCH: /, 'the damaged frame was refused with its typed error, and asked for again');

  await assertRestoresBitExact(offsite, id, work);

  await offsite.daemon.stop();
  const check = havend(['store', 'check', '--data', offsite.dataDir, '--json']);
  assert.equal(check.code, 0, `nothing bad was indexed: ${check.stdout}${check.stderr}`);
});
