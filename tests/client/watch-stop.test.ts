// haven backup --watch stops cleanly: SIGTERM while a snapshot runs finishes that snapshot
// (it restores exactly) and exits 0; and its systemd unit, haven-watch@.service, is one
// systemd accepts (systemd-analyze verify: systemd is not PID 1 on these machines).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/daemon.js';
import { HAVEN, cliWorld } from '../helpers/haven-cli.js';
import { hasCommand, need } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSnapshotIsTree, startWatch } from '../helpers/watch-process.js';

const BOUND_MS = 30_000;

test('SIGTERM during a snapshot finishes it, then the watcher exits 0', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'a.txt'), 'a\n');
  const watch = startWatch(t, w, ['--debounce', '0.3', '--group', 'stop', 'src'], work);
  await watch.snapshotAfter(0, BOUND_MS);

  // SIGTERM while a snapshot runs: it is finished, then the watcher exits 0
  const from = await watch.startLongSnapshot(work, src, BOUND_MS);
  assert.equal(await watch.stop('SIGTERM'), 0, `exit code 0 after SIGTERM:\n${watch.stderr()}`);
  const tail = watch.events.slice(from).map((e) => e.event);
  // 16 MiB take a while to read and upload: the signal normally lands mid-snapshot
  assert.ok(
    ['started,stopping,snapshot,stopped', 'started,snapshot,stopping,stopped'].includes(tail.join(',')),
    `the running snapshot was finished, not torn: ${tail.join(',')}`,
  );
  t.diagnostic(`SIGTERM ${tail[1] === 'stopping' ? 'during' : 'just after'} the snapshot`);
  assert.equal(watch.events.at(-1)?.pendingSince, null, 'nothing seen is left out');
  const last = watch.events.filter((e) => e.event === 'snapshot').pop() as unknown as { snapshot: { id: string } };
  await assertSnapshotIsTree(w, last.snapshot.id, src, join(work, 'r-last'), 'the snapshot finished on SIGTERM');
});

test('haven-watch@.service passes systemd-analyze verify', (t) => {
  if (!need(t, hasCommand('systemd-analyze'), 'systemd-analyze (Debian package systemd)')) return;
  const dir = tempDir(t);
  // verify checks that ExecStart exists: point it at this checkout's client
  const unit = readFileSync(join(REPO, 'systemd/haven-watch@.service'), 'utf8').replaceAll('/opt/haven-client/bin/haven', HAVEN);
  assert.match(unit, /ExecStart=\S+ backup --watch --profile %i/);
  writeFileSync(join(dir, 'haven-watch@home.service'), unit);
  const out = execFileSync('sh', ['-c', 'systemd-analyze verify "$1" 2>&1', 'sh', join(dir, 'haven-watch@home.service')], { encoding: 'utf8' });
  assert.equal(out.trim(), '', `systemd-analyze verify complained:\n${out}`);
});
