// More upload streams than verification arenas, each paused by the socket in the middle of a
// frame: every stream must still finish. A stream used to wait for a fresh arena while its
// batch held a frame half received; once every arena sat in such a batch, every upload of the
// daemon waited on the others for good (found by the load test: eight clients, three streams
// each, twelve arenas). Also: streams that hold nothing back while their client is quiet.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { FrameIngest } from '../../daemon/src/backup/frame-ingest.js';
import { SpaceReserve } from '../../daemon/src/store/space-reserve.js';
import { createVerifyPool } from '../../daemon/src/workers/verify-pool.js';
import { frameOf, makeObject } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';
import { BASES, openStore, readsBack } from '../store/store-harness.js';

// 64 KiB arenas, 1 thread: 8 arenas in all
const pool = createVerifyPool({ threads: 1, arenaBytes: 64 * 1024 });
after(() => pool.close());

test('twelve streams, eight arenas, each stream stalled mid-frame: all of them finish', { timeout: 60_000 }, async (t) => {
  const store = await openStore(tempDir(t), BASES[1] as (typeof BASES)[number]);
  const space = new SpaceReserve({ root: () => store.root, reserveBytes: 0, now: Date.now, onListenerError: (err) => assert.fail(String(err)) });
  const objects = Array.from({ length: 12 }, () => [makeObject(ObjectKind.data, randomBytes(40_000)), makeObject(ObjectKind.data, randomBytes(40_000))]);
  const sockets = objects.map(() => new PassThrough());
  const runs = sockets.map((s) => new FrameIngest({ store, pool, space }, { maxFrameBytes: 1 << 20, syncEveryBytes: 32 << 20 }).run(s));
  const streams = objects.map((o) => Buffer.concat(o.flatMap(frameOf)));
  // first: half of each stream's first frame, then the client goes quiet...
  streams.forEach((bytes, i) => (sockets[i] as PassThrough).write(bytes.subarray(0, 20_000)));
  await sleep(300);
  // ...then the rest
  streams.forEach((bytes, i) => (sockets[i] as PassThrough).end(bytes.subarray(20_000)));
  const timeout = sleep(20_000).then(() => 'stuck' as const);
  const outcome = await Promise.race([Promise.all(runs), timeout]);
  assert.notEqual(outcome, 'stuck', 'every stream finished');
  for (const r of outcome as Awaited<(typeof runs)[number]>[]) assert.equal(r.objectsNew, 2, JSON.stringify(outcome));
  await readsBack(store, objects.flat());
  await store.close(); // not on failure: stuck streams would hold the close too
});
