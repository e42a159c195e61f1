// Discovery with real loop devices (root): attach -> detected within 5 s; detach -> missing
// and archived; re-attach (most likely under another loopN) -> recognized as the same disk.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HavenError } from '../../core/src/errors.js';
import type { DiskList, DiskRecord } from '../../core/src/api/disks.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { attachLoop, detachLoop, sparseFile } from '../helpers/loop.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== null) return { value: v, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('loop devices: detected, missing and archived, then recognized again', async (t) => {
  if (!needRoot(t, 'loop-device discovery') || !need(t, hasCommand('losetup'), 'losetup (util-linux) is missing')) return;
  const dir = tempDir(t);
  const data = join(dir, 'data');
  const backing = sparseFile(join(dir, 'disk-a.img'), 64 * 1024 * 1024);
  const token = createToken(data, 'admin');
  // Poll /sys/block every second: the 5 s bound must hold even where uevents are not delivered.
  const daemon = await startDaemon(t, { dataDir: data, env: { HAVEND_DISKS_HOTPLUG_POLL_MS: '1000' } });
  const api = daemon.client(token);
  const mine = async (): Promise<DiskRecord | null> => {
    const { disks } = await api.json<DiskList>('GET', '/api/v1/disks');
    return disks.find((d) => d.backingFile === backing) ?? null;
  };
  assert.equal(await mine(), null);

  const dev = attachLoop(t, backing);
  const added = await waitFor('attached loop device detected', 5000, async () => {
    const d = await mine();
    return d?.present ? d : null;
  });
  t.diagnostic(`detected ${dev} after ${added.ms} ms`);
  const disk = added.value;
  assert.equal(disk.identity.kind, 'loop');
  assert.equal(disk.identity.value, backing);
  assert.equal(disk.devicePath, dev);
  assert.equal(disk.sizeBytes, 64 * 1024 * 1024);
  assert.equal(disk.role, 'unassigned');
  assert.equal(disk.archived, false);
  // A loop device has no SMART: it says so rather than `passed`.
  const checked = await waitFor('SMART checked', 5000, async () => {
    const d = await mine();
    return d?.health.checkedAt ? d : null;
  });
  assert.equal(checked.value.health.verdict, 'unknown');
  assert.match(checked.value.health.reasons[0]?.message ?? '', /^no SMART data: loop device backed by the file .*disk-a\.img has no SMART/);

  detachLoop(dev, backing);
  const gone = await waitFor('detached loop device marked missing', 5000, async () => {
    const d = await mine();
    return d && !d.present ? d : null;
  });
  t.diagnostic(`missing after ${gone.ms} ms`);
  assert.equal(gone.value.id, disk.id);
  assert.equal(gone.value.archived, true);
  assert.equal(gone.value.devicePath, null);

  // Occupy the device it had, so that the disk comes back under another name.
  const blocker = attachLoop(t, sparseFile(join(dir, 'blocker.img'), 1024 * 1024));
  const dev2 = attachLoop(t, backing);
  const back = await waitFor('re-attached loop device recognized', 5000, async () => {
    const d = await mine();
    return d?.present ? d : null;
  });
  assert.equal(back.value.id, disk.id, 'same disk, same id');
  assert.equal(back.value.devicePath, dev2);
  assert.equal(back.value.archived, false);
  assert.equal(back.value.firstSeen, disk.firstSeen);
  t.diagnostic(`back as ${dev2} (was ${dev}; ${blocker} took a free slot)`);

  // The CLI reads the same inventory through the control socket.
  const cli = havend(['disks', '--data', data, '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  const listed = (JSON.parse(cli.stdout) as DiskList).disks.find((d) => d.id === disk.id);
  assert.equal(listed?.devicePath, dev2);
  const text = havend(['disks', '--data', data]);
  assert.match(text.stdout, new RegExp(`${disk.id}\\s+${dev2}`));

  // An admin can purge only a missing disk.
  await assert.rejects(api.request('DELETE', `/api/v1/disks/${disk.id}`), (err: unknown) => err instanceof HavenError && err.code === 'DISK_PRESENT');
  detachLoop(dev2, backing);
  await waitFor('missing again', 5000, async () => ((await mine())?.present === false ? true : null));
  const purged = await api.request('DELETE', `/api/v1/disks/${disk.id}`);
  assert.equal(purged.statusCode, 204);
  purged.resume();
  assert.equal(await mine(), null);
});
