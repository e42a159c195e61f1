// The appliance killed in the middle of a haven backup --watch snapshot and started again on
// the same address: the watcher retries with backoff, and once the appliance is back, its
// snapshot holds every change, those made while it was away included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSnapshotIsTree, startWatch } from '../helpers/watch-process.js';

const BOUND_MS = 40_000;

test('the appliance restarted mid-snapshot loses no change', async (t) => {
  const w = await cliWorld(t);
  const port = new URL(w.daemon.url).port;
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(join(src, 'docs'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'a\n');
  writeFileSync(join(src, 'docs', 'gone.txt'), 'to be deleted\n');

  const watch = startWatch(t, w, ['--debounce', '0.3', '--group', 'restart', 'src'], work);
  await watch.snapshotAfter(0, BOUND_MS);

  // a snapshot long enough to be killed under
  const from = await watch.startLongSnapshot(work, src, BOUND_MS);
  await w.daemon.stop('SIGKILL');

  // changes while the appliance is away
  appendFileSync(join(src, 'a.txt'), 'changed while the appliance was down\n');
  writeFileSync(join(src, 'docs', 'new.txt'), 'added while the appliance was down\n');
  rmSync(join(src, 'docs', 'gone.txt'));
  const changed = Date.now();
  const retry = await watch.waitFor((e) => e.event === 'retry', BOUND_MS, from);
  t.diagnostic(`the watcher noticed: ${JSON.stringify(retry.error)}`);

  await startDaemon(t, { dataDir: w.dataDir, listen: `127.0.0.1:${port}` });
  const restarted = Date.now();
  const caughtUp = await watch.snapshotAfter(changed, BOUND_MS);
  console.log(`restart: caught up ${caughtUp.seenAt - restarted} ms after the appliance was back (${watch.events.filter((e) => e.event === 'retry').length} retries)`);
  assert.ok(caughtUp.delayMs >= caughtUp.seenAt - changed - 1000, 'the snapshot counts from the first change it had missed');
  await assertSnapshotIsTree(w, caughtUp.snapshot.id, src, join(work, 'restored'), 'the snapshot after the restart');
  assert.equal(await watch.stop('SIGTERM'), 0);
});
