// A datastore that fills up, end to end (issue 13, "Disk full"). A real havend keeps its
// datastore on a 144 MiB loop-mounted ext4, with 4 MiB segments and a 32 MiB reserve; the real
// haven client backs up 16 MiB of fresh random data at a time until a backup fails with
// STORAGE_FULL (exit code 10). Then: the daemon is healthy; `havend info`, the metrics and an
// alert say uploads are refused; the file system still has the reserve free; the appliance's
// own small writes work below it (a commit of a session whose data is all uploaded, a backup
// that changed nothing, protect, delete, prune); every committed snapshot restores bit-exact;
// two runs of `havend gc --wait` give the space back, the alert clears and the next backup
// succeeds with no other step; and nothing committed is lost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '../../client/src/api/api-client.js';
import { readAll } from '../../client/src/api/api-client.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import type { GcRun } from '../../core/src/api/gc.js';
import type { AlertInfo } from '../../core/src/api/jobs.js';
import { HavenError } from '../../core/src/errors.js';
import { toHex } from '../../core/src/objects/digest.js';
import type { DaemonInfo } from '../../daemon/src/cli/info.js';
import { createToken, havend, startDaemon, type Daemon } from '../helpers/daemon.js';
import { haven } from '../helpers/haven-cli.js';
import { mountedExt4 } from '../helpers/loop.js';
import { framesOf, sampleBackup } from '../helpers/objects.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';
import { verifySnapshot } from '../helpers/readback.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSameTree, describeTree, type Described } from '../helpers/tree-compare.js';

const MiB = 1024 * 1024;
const FS_BYTES = 144 * MiB;
const SEGMENT_BYTES = 4 * MiB;
const RESERVE_BYTES = 32 * MiB;
const BACKUP_BYTES = 16 * MiB;
/** More backups than can fit: the loop ends at the first refusal, or fails the test. */
const MAX_BACKUPS = Math.ceil(FS_BYTES / BACKUP_BYTES) + 2;

interface Generation {
  id: string;
  name: string;
  tree: Map<string, Described>;
}

function freeOf(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

async function metric(api: ApiClient, name: string): Promise<number | undefined> {
  const text = (await readAll(await api.request('GET', '/metrics'))).toString('utf8');
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function fullAlert(api: ApiClient): Promise<AlertInfo | undefined> {
  const { alerts } = await api.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts');
  return alerts.find((a) => a.key.startsWith('datastore.full:'));
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a full datastore refuses backups with STORAGE_FULL, keeps its own writes working, and recovers after prune and two GC runs with nothing lost', { timeout: 300_000 }, async (t) => {
  if (!needRoot(t, 'a loop-mounted ext4') || !need(t, hasCommand('mkfs.ext4'), 'e2fsprogs (mkfs.ext4) is missing')) return;
  const lab = tempDir(t, 'haven-full-');
  let daemon: Daemon | null = null;
  // the daemon stopped by the finally below before the after-hook unmounts
  const mnt = mountedExt4(t, lab, FS_BYTES);
  try {
    const dataDir = join(lab, 'state');
    const env = {
      HAVEND_DATASTORE_PATH: join(mnt, 'datastore'),
      HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(SEGMENT_BYTES),
      HAVEND_DATASTORE_RESERVE_BYTES: String(RESERVE_BYTES),
      // Prune and GC run when the test says, and compaction at full speed.
      HAVEND_RETENTION_PRUNE_CRON: '',
      HAVEND_GC_CRON: '',
      HAVEND_GC_RATE_BYTES_PER_SECOND: '0',
    };
    const token = createToken(dataDir, 'admin');
    daemon = await startDaemon(null, { dataDir, env });
    const api = daemon.client(token);
    const home = join(lab, 'home');
    const clientEnv = { HAVEN_SERVER: daemon.url, HAVEN_TOKEN: token, HAVEN_CACHE_DIR: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config'), HOME: home };
    const posix = createPosixOps();
    const backup = (name: string) => haven(['backup', '--group', 'fill', name, '--json'], { cwd: lab, env: clientEnv, timeoutMs: 60_000 });
    const restoresExactly = async (gen: Generation): Promise<void> => {
      const target = join(lab, `restore-${gen.id.slice(0, 12)}-${Date.now()}`);
      const r = await haven(['restore', gen.id, '--target', target, '--json'], { env: clientEnv, timeoutMs: 60_000 });
      assert.equal(r.code, 0, `haven restore ${gen.id}: ${r.stderr}`);
      assertSameTree(await describeTree(join(target, gen.name), posix), gen.tree, `snapshot ${gen.id}`);
      rmSync(target, { recursive: true });
    };
    const generation = async (i: number): Promise<{ name: string; dir: string }> => {
      const name = `gen-${i}`;
      const dir = join(lab, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'data.bin'), randomBytes(BACKUP_BYTES));
      return { name, dir };
    };

    // A session whose data is all uploaded while there is room; it commits once the datastore is full.
    const early = sampleBackup(4, 64 * 1024);
    const session = await api.startBackup({ group: 'early' });
    await api.uploadFrames(session.session, framesOf(early.objects));

    const committed: Generation[] = [];
    let refused: Awaited<ReturnType<typeof backup>> | null = null;
    for (let i = 0; i < MAX_BACKUPS && refused === null; i++) {
      const { name, dir } = await generation(i);
      const r = await backup(name);
      if (r.code !== 0) refused = r;
      else committed.push({ id: (JSON.parse(r.stdout) as { snapshot: { id: string } }).snapshot.id, name, tree: await describeTree(dir, posix) });
    }
    assert.ok(refused, `a backup was refused within ${MAX_BACKUPS} backups of ${BACKUP_BYTES} bytes on ${FS_BYTES}`);
    t.diagnostic(`${committed.length} backups committed, then: ${refused.stderr.trim()}`);
    assert.equal(refused.code, 10, `exit code 10 (appliance storage): ${refused.stderr}`);
    assert.match(refused.stderr, /out of space; nothing partial was committed \[STORAGE_FULL\]/);
    assert.ok(committed.length >= 3, 'the datastore took what fits above the reserve first');

    // The reserve held: what the guard cannot count (index pages, records' block padding) is small.
    const free = freeOf(mnt);
    t.diagnostic(`file system free after the refusal: ${free} bytes (reserve ${RESERVE_BYTES})`);
    assert.ok(free >= RESERVE_BYTES - MiB, `free ${free} stays at the reserve ${RESERVE_BYTES}`);
    assert.ok(free < RESERVE_BYTES + BACKUP_BYTES, 'the space above the reserve was used');

    // Healthy, and every surface says why backups fail.
    assert.equal((await api.health()).status, 'ok');
    const info = havend(['info', '--data', dataDir, '--json'], env);
    assert.equal(info.code, 0, info.stderr);
    const space = (JSON.parse(info.stdout) as DaemonInfo).space;
    assert.ok(space, 'havend info reports the datastore\'s space');
    assert.equal(space.reserveBytes, RESERVE_BYTES);
    assert.equal(space.uploadsRefused, true);
    assert.ok(Math.abs(space.freeBytes - free) < 4 * MiB, `info's free ${space.freeBytes} is the file system's ${free}`);
    assert.equal(await metric(api, 'haven_datastore_reserve_bytes'), RESERVE_BYTES);
    assert.equal(await metric(api, 'haven_datastore_uploads_refused'), 1);
    assert.ok(((await metric(api, 'haven_datastore_free_bytes')) ?? 0) > 0);
    assert.equal(await metric(api, 'haven_sessions_active'), 1, 'the refused backup ended its session; the early one is open');
    // Over the API: the refusal's figures are in the error's details (more than the space left above the reserve, asserted above).
    const probe = await api.startBackup({ group: 'probe' });
    await assert.rejects(api.uploadFrames(probe.session, framesOf(sampleBackup(5, 4 * MiB).objects)), (e: unknown) => {
      assert.ok(e instanceof HavenError && e.code === 'STORAGE_FULL' && e.status === 507, String(e));
      const d = e.details as { freeBytes: number; reserveBytes: number; requestedBytes: number };
      assert.equal(d.reserveBytes, RESERVE_BYTES);
      assert.ok(d.freeBytes - d.requestedBytes < RESERVE_BYTES, JSON.stringify(d));
      return true;
    });
    await api.abort(probe.session);
    const alert = await fullAlert(api);
    assert.ok(alert, 'an alert is open while uploads are refused');
    assert.equal(alert.severity, 'critical');
    assert.match(alert.message, /Backups are refused: .* free, below the 33\.6 MB kept for prune and garbage collection/);

    // Below the reserve, the appliance's own writes still go through.
    const earlyCommit = await api.commit(session.session, { root: toHex(early.root.digest) });
    assert.equal(await verifySnapshot(api, earlyCommit.snapshot.id), 4 * 64 * 1024);
    const last = committed[committed.length - 1] as Generation;
    const unchanged = await backup(last.name);
    assert.equal(unchanged.code, 0, `a backup that changed nothing needs no space: ${unchanged.stderr}`);
    const again: Generation = { ...last, id: (JSON.parse(unchanged.stdout) as { snapshot: { id: string } }).snapshot.id };
    for (const args of [['snapshot', 'protect', earlyCommit.snapshot.id], ['snapshot', 'delete', (committed[0] as Generation).id]]) {
      const r = havend([...args, '--data', dataDir], env);
      assert.equal(r.code, 0, `havend ${args.join(' ')}: ${r.stderr}`);
    }
    for (const gen of [...committed.slice(1), again]) await restoresExactly(gen);
    const pruned = havend(['prune', '--group', 'fill', '--keep-last', '1', '--data', dataDir], env);
    assert.equal(pruned.code, 0, `havend prune: ${pruned.stderr}`);
    const left = (await api.snapshots('fill')).snapshots.map((s) => s.id);
    assert.deepEqual(left, [again.id], 'prune kept the newest');
    await restoresExactly(again);
    assert.equal(await verifySnapshot(api, earlyCommit.snapshot.id), 4 * 64 * 1024);
    assert.equal((await api.health()).status, 'ok');

    // Two collections on the full datastore: the first condemns what the deletions (and the
    // refused uploads) left unreferenced, the second reclaims it and compaction unlinks the
    // segments. The alert clears and backups succeed, with no other step.
    const freeBeforeGc = freeOf(mnt);
    const runs: GcRun[] = [];
    for (let i = 0; i < 2; i++) {
      const g = havend(['gc', '--wait', '--json', '--data', dataDir], env);
      assert.equal(g.code, 0, `havend gc --wait: ${g.stdout}${g.stderr}`);
      runs.push(JSON.parse(g.stdout) as GcRun);
    }
    const freed = freeOf(mnt) - freeBeforeGc;
    t.diagnostic(`two gc runs freed ${freed} bytes: ${runs.map((r) => JSON.stringify(r.summary?.compaction)).join(', ')}`);
    assert.ok((runs[1]?.summary?.reclaimedObjects ?? 0) > 0, 'the second run reclaims what the first condemned');
    // The deleted snapshots' data, less at most a partly live segment at each end of the kept data.
    assert.ok(freed >= (committed.length - 1) * BACKUP_BYTES - 2 * SEGMENT_BYTES, `freed ${freed} bytes`);
    await eventually('the alert clears', async () => (await fullAlert(api)) === undefined);
    assert.equal(await metric(api, 'haven_datastore_uploads_refused'), 0);
    const next = await generation(MAX_BACKUPS);
    const resumed = await backup(next.name);
    assert.equal(resumed.code, 0, `the next backup succeeds: ${resumed.stderr}`);

    // Nothing committed is lost: every snapshot still listed restores bit-exact.
    const latest: Generation = { id: (JSON.parse(resumed.stdout) as { snapshot: { id: string } }).snapshot.id, name: next.name, tree: await describeTree(next.dir, posix) };
    assert.deepEqual((await api.snapshots('fill')).snapshots.map((s) => s.id), [again.id, latest.id]);
    for (const gen of [again, latest]) await restoresExactly(gen);
    assert.equal(await verifySnapshot(api, earlyCommit.snapshot.id), 4 * 64 * 1024);

    await daemon.stop();
    const check = havend(['store', 'check', '--data', dataDir], env);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  } finally {
    await daemon?.stop();
  }
});
