// The inotify watch limit reached under haven backup --watch: the watcher says so (a notice
// naming fs.inotify.max_user_watches) and changes in the directories it could not watch
// still reach a snapshot, through the periodic rescan (--rescan). The limit is lowered in a
// user namespace of the watcher's own (/proc/sys/user/max_inotify_watches there), so nothing
// else on the machine is affected.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliWorld } from '../helpers/haven-cli.js';
import { need } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSnapshotIsTree, startWatch } from '../helpers/watch-process.js';

const BOUND_MS = 40_000;
const WATCHES = 3;
const IN_OWN_USERNS = ['unshare', '--user', '--map-root-user', 'sh', '-c', `echo ${WATCHES} > /proc/sys/user/max_inotify_watches && exec "$0" "$@"`];

function userNamespaces(): boolean {
  try {
    execFileSync(IN_OWN_USERNS[0] as string, [...IN_OWN_USERNS.slice(1), 'true'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

test('past the inotify watch limit, a notice says so and periodic rescans still find every change', async (t) => {
  if (!need(t, userNamespaces(), 'a user namespace with its own max_inotify_watches (unshare --user, kernel 5.11+)')) return;
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  // one chain: the walk watches src, a and b, and the limit stops it at c
  const deep = join(src, 'a', 'b', 'c', 'd');
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, 'f.txt'), 'first\n');

  const watch = startWatch(t, w, ['--debounce', '0.3', '--rescan', '2', '--group', 'limit', 'src'], work, IN_OWN_USERNS);
  const notice = await watch.waitFor((e) => e.event === 'notice' && /max_user_watches/.test(String(e.message)), BOUND_MS);
  t.diagnostic(String(notice.message));
  const watching = await watch.waitFor((e) => e.event === 'watching', BOUND_MS);
  assert.equal(watching.watches, WATCHES);
  await watch.snapshotAfter(0, BOUND_MS);

  // no event comes from below c: the rescan finds it
  writeFileSync(join(deep, 'f.txt'), 'changed where nothing watches\n');
  writeFileSync(join(deep, 'g.txt'), 'added where nothing watches\n');
  const changed = Date.now();
  const snap = await watch.snapshotAfter(changed, BOUND_MS);
  console.log(`watch limit: a change in an unwatched directory saved ${snap.seenAt - changed} ms later (rescan every 2 s)`);
  await assertSnapshotIsTree(w, snap.snapshot.id, src, join(work, 'restored'), 'the snapshot of the rescan');
  assert.equal(await watch.stop('SIGTERM'), 0);
});
