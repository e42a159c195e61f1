// A byte flipped in flight, inside one frame of the source's object stream (a proxy between
// the two appliances): the offsite's ingest refuses the frame with a typed error, indexes
// nothing of it, asks for the object again, and ends with a snapshot that restores bit-exact;
// its datastore checks clean.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import type { ReplicateResponse } from '../../core/src/api/replication.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { createToken, havend } from '../helpers/daemon.js';
import { flipProxy } from '../helpers/flip-proxy.js';
import { seededBytes } from '../helpers/real-data.js';
import { replicationPair } from '../helpers/replication-pair.js';
import { describeTree } from '../helpers/tree-compare.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'mail';

test('a frame damaged in flight is refused, fetched again, and the copy is bit-exact', async (t) => {
  const pair = await replicationPair(t, GROUP);
  const { source, offsite } = pair;
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(src);
  for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${i}.bin`), seededBytes(3 << 20, `mail-${i}`));
  const backup = await source.haven(['backup', '--group', GROUP, '--json', 'src'], { cwd: work });
  assert.equal(backup.code, 0, backup.stderr);
  const id = (JSON.parse(backup.stdout) as { snapshot: { id: string } }).snapshot.id;

  // 5 MiB into a stream: inside the data (random, stored uncompressed), past any tree stream
  const proxy = await flipProxy(t, source.daemon.url, 5 << 20);
  const add = await pair.havend(['peer', 'add', 'primary', '--url', proxy.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *']);
  assert.equal(add.code, 0, add.stderr);
  const pulled = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(proxy.flipped(), 1, 'the proxy damaged one byte');
  assert.equal((JSON.parse(pulled.stdout) as ReplicateResponse).pulled, 1);

  const admin = offsite.daemon.client(createToken(offsite.dataDir, 'admin'));
  const tasks = await admin.json<TaskInfo[] | { tasks: TaskInfo[] }>('GET', '/api/v1/tasks?kind=replication.pull');
  const list = Array.isArray(tasks) ? tasks : tasks.tasks;
  const log = list.flatMap((task) => task.log.map((l) => l.message)).join('\n');
  assert.match(log, /a stream failed \(DIGEST_MISMATCH: /, 'the damaged frame was refused with its typed error, and asked for again');

  const target = join(work, 'restored');
  const restore = await offsite.haven(['restore', id, '--target', target, '--json']);
  assert.equal(restore.code, 0, restore.stderr);
  const posix = createPosixOps();
  const shas = async (dir: string) => new Map([...(await describeTree(dir, posix))].map(([k, v]) => [k, v.sha ?? v.type]));
  assert.deepEqual(await shas(join(target, 'src')), await shas(src), 'restored bit-exact from the offsite');

  await offsite.daemon.stop();
  const check = havend(['store', 'check', '--data', offsite.dataDir, '--json']);
  assert.equal(check.code, 0, `nothing bad was indexed: ${check.stdout}${check.stderr}`);
});
