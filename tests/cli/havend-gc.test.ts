// `havend gc` against a real daemon through its control socket (issue 13), with backups made
// by the real client: two backups of content replaced in between, the first deleted; the
// first `havend gc --wait --json` condemns its objects, the second reclaims them and compacts
// (stored bytes go down) while the kept snapshot restores whole; `havend gc` while a run is
// in flight reports that run; a cancelled run exits 1; a run the daemon was killed in shows
// as interrupted after the restart; the GC metrics follow.
//
// Compaction is throttled (gc.rateBytesPerSecond) and segments are small, so a run that
// compacts a few MiB lasts seconds: long enough for a second command to find it running.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GcRun, GcStartResponse, GcStatus } from '../../core/src/api/gc.js';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import { readAll, type ApiClient } from '../../client/src/api/api-client.js';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { runBounded, type BoundedResult } from '../helpers/bounded-run.js';
import { HAVEND, createToken, havend, startDaemon, type Daemon } from '../helpers/daemon.js';
import { haven } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

const MiB = 1 << 20;
const DAEMON_ENV = {
  HAVEND_GC_CRON: '', // no scheduled run in the middle of the test
  HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(MiB),
  HAVEND_DATASTORE_DIRECT_IO: 'false',
  // compacting ~4 MiB of dead segments takes about 8 s
  HAVEND_GC_RATE_BYTES_PER_SECOND: String(MiB / 2),
};
const FILES = 4;
const FILE_BYTES = MiB;

/** The test runner's environment without its own HAVEN_* and HAVEND_* variables. */
function ownEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEN_') && !k.startsWith('HAVEND_')));
}

interface World {
  dataDir: string;
  daemon: Daemon;
  api: ApiClient;
  backup(seed: string): Promise<string>;
  /** The real client, as this world's admin. */
  haven(args: string[], cwd?: string): Promise<BoundedResult>;
  /** `havend gc ARGS --data DIR`, run asynchronously (the test's loop keeps running). */
  gc(args: string[]): Promise<BoundedResult>;
  /** Kills the daemon (SIGKILL) and starts it again on the same state directory. */
  restartAfterKill(): Promise<void>;
}

async function world(t: import('node:test').TestContext): Promise<World> {
  const dataDir = tempDir(t);
  const home = tempDir(t, 'haven-home-');
  const work = tempDir(t);
  const token = createToken(dataDir, 'admin');
  const daemon = await startDaemon(t, { dataDir, env: DAEMON_ENV });
  t.after(() => w.daemon.stop()); // the restarted one
  const env = () => ({ HAVEN_SERVER: w.daemon.url, HAVEN_TOKEN: token, HAVEN_CACHE_DIR: `${home}/cache`, XDG_CONFIG_HOME: `${home}/config`, HOME: home });
  const w: World = {
    dataDir, daemon, api: daemon.client(token),
    /** Replaces the files' content and backs them up with the real client. */
    async backup(seed) {
      rmSync(join(work, 'data'), { recursive: true, force: true });
      mkdirSync(join(work, 'data'));
      for (let i = 0; i < FILES; i++) writeFileSync(join(work, 'data', `file-${i}`), seededBytes(FILE_BYTES, `${seed}-${i}`));
      const r = await w.haven(['backup', '--group', 'web', '--json', 'data'], work);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { snapshot: { id: string } }).snapshot.id;
    },
    haven: (args, cwd) => haven(args, { env: env(), ...(cwd !== undefined ? { cwd } : {}) }),
    gc: (args) => runBounded(HAVEND, ['gc', ...args, '--data', dataDir], { env: ownEnv(), timeoutMs: 120_000 }),
    async restartAfterKill() {
      await w.daemon.stop('SIGKILL');
      w.daemon = await startDaemon(null, { dataDir, env: DAEMON_ENV });
      w.api = w.daemon.client(token);
    },
  };
  return w;
}

async function scrape(api: ApiClient): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const line of (await readAll(await api.request('GET', '/metrics'))).toString('utf8').split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) values.set(m[1] as string, Number(m[2]));
  }
  return values;
}

function runFrom(r: BoundedResult, expectedCode: number = EXIT.ok): GcRun {
  assert.equal(r.code, expectedCode, `${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as GcRun;
}

/** Waits (bounded) until the GC task is running: its status says so. */
async function runningTask(api: ApiClient): Promise<TaskInfo> {
  for (let i = 0; i < 300; i++) {
    const s = await api.json<GcStatus>('GET', '/api/v1/gc');
    if (s.running) return s.running;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no GC run started within 30 s');
}

test('havend gc --wait --json twice reclaims a deleted snapshot\'s space; a second start joins the running one', { timeout: 300_000 }, async (t) => {
  const w = await world(t);
  const first = await w.backup('one');
  const kept = await w.backup('two');
  const del = havend(['snapshot', 'delete', first, '--data', w.dataDir]);
  assert.equal(del.code, EXIT.ok, del.stderr);
  const storedBefore = (await scrape(w.api)).get('haven_datastore_stored_bytes') as number;
  assert.ok(storedBefore >= 2 * FILES * FILE_BYTES, `stored ${storedBefore}`);

  const run1 = runFrom(await w.gc(['--wait', '--json']));
  assert.equal(run1.status, 'succeeded');
  assert.equal(run1.by, 'local administrator');
  assert.ok(run1.summary);
  assert.equal(run1.summary.reclaimedObjects, 0, 'the first run condemns, it does not reclaim');
  assert.ok(run1.summary.condemnedObjects >= FILES, `condemned ${run1.summary.condemnedObjects}`);
  assert.ok(run1.summary.condemnedBytes >= FILES * FILE_BYTES);

  // the second run: started without --wait, then joined by a second command while it compacts
  const started = await w.gc(['--json']);
  assert.equal(started.code, EXIT.ok, started.stderr);
  const start = JSON.parse(started.stdout) as GcStartResponse;
  assert.equal(start.alreadyRunning, false);
  const joined = await w.gc(['--wait']);
  assert.equal(joined.code, EXIT.ok, joined.stderr);
  assert.match(joined.stderr, new RegExp(`garbage collection already running since .*: task ${start.task.id}`));
  assert.match(joined.stdout, new RegExp(`^garbage collection succeeded \\(task ${start.task.id}, `));
  assert.match(joined.stdout, /\n {2}reclaimed \d+ object\(s\)/);

  const status = await w.api.json<GcStatus>('GET', '/api/v1/gc');
  const run2 = status.history[0] as GcRun;
  assert.equal(run2.task, start.task.id, 'one run, not two');
  assert.equal(status.history.length, 2);
  assert.ok(run2.summary);
  assert.ok(run2.summary.reclaimedObjects >= FILES, `reclaimed ${run2.summary.reclaimedObjects}`);
  assert.ok(run2.summary.reclaimedBytes >= FILES * FILE_BYTES);
  assert.ok(run2.summary.compaction.segments > 0 && run2.summary.compaction.bytesFreed > 0, JSON.stringify(run2.summary.compaction));
  assert.ok(run2.summary.storedBytesAfter < run2.summary.storedBytesBefore);

  const m = await scrape(w.api);
  const storedAfter = m.get('haven_datastore_stored_bytes') as number;
  assert.ok(storedAfter < storedBefore - (FILES * FILE_BYTES) / 2, `stored bytes went down: ${storedBefore} -> ${storedAfter}`);
  assert.equal(m.get('haven_metrics_collector_up{area="gc"}'), 1);
  assert.equal(m.get('haven_gc_runs_total{status="succeeded"}'), 2);
  assert.equal(m.get('haven_gc_last_success_timestamp_seconds'), Date.parse(run2.ended) / 1000);
  assert.equal(m.get('haven_gc_reclaimed_bytes_total'), run2.summary.reclaimedBytes);
  assert.equal(m.get('haven_gc_running'), 0);

  // what is left restores whole
  const target = tempDir(t);
  const restored = await w.haven(['restore', kept, '--target', target]);
  assert.equal(restored.code, 0, restored.stderr);
  for (let i = 0; i < FILES; i++) {
    assert.ok(readFileSync(join(target, 'data', `file-${i}`)).equals(seededBytes(FILE_BYTES, `two-${i}`)), `data/file-${i} restores`);
  }
});

test('havend gc --wait exits 1 for a cancelled run; a run the daemon was killed in is interrupted after the restart', { timeout: 300_000 }, async (t) => {
  const w = await world(t);
  const first = await w.backup('one');
  const second = await w.backup('two');
  assert.equal(havend(['snapshot', 'delete', first, '--data', w.dataDir]).code, EXIT.ok);
  assert.equal(runFrom(await w.gc(['--wait', '--json'])).status, 'succeeded');

  // cancelled while it runs (reclaiming or compacting, throttled): the command follows it to its end
  const following = w.gc(['--wait', '--json']);
  const task = await runningTask(w.api);
  await w.api.json('POST', `/api/v1/tasks/${task.id}/cancel`);
  const cancelled = runFrom(await following, EXIT.failure);
  assert.equal(cancelled.task, task.id);
  assert.equal(cancelled.status, 'cancelled');
  assert.match(cancelled.error ?? '', /cancelled by an admin/);
  const text = await w.gc(['--wait']);
  assert.equal(text.code, EXIT.ok, text.stderr);

  // more garbage, condemned; the run that would reclaim and compact it is killed with the daemon
  await w.backup('three');
  assert.equal(havend(['snapshot', 'delete', second, '--data', w.dataDir]).code, EXIT.ok);
  assert.equal(runFrom(await w.gc(['--wait', '--json'])).status, 'succeeded');
  const started = JSON.parse((await w.gc(['--json'])).stdout) as GcStartResponse;
  assert.equal((await runningTask(w.api)).id, started.task.id);
  await w.restartAfterKill();
  const after = await w.api.json<GcStatus>('GET', '/api/v1/gc');
  assert.equal(after.running, null);
  const killed = after.history.find((r) => r.task === started.task.id);
  assert.ok(killed, 'the killed run is in the history');
  assert.equal(killed.status, 'interrupted');
  assert.equal(killed.summary, null);
  assert.ok(Date.parse(killed.ended) >= Date.parse(killed.started));
  const next = runFrom(await w.gc(['--wait', '--json']));
  assert.equal(next.status, 'succeeded', 'the next run works after the kill');
  assert.equal((await scrape(w.api)).get('haven_gc_runs_total{status="interrupted"}'), 1);
});

test('havend gc: usage errors exit 2; no daemon exits 3', (t) => {
  const dataDir = tempDir(t);
  assert.equal(havend(['gc', 'now', '--data', dataDir]).code, EXIT.usage);
  assert.equal(havend(['gc', '--wait=yes', '--data', dataDir]).code, EXIT.usage);
  const r = havend(['gc', '--data', dataDir]);
  assert.equal(r.code, EXIT.daemonNotRunning, r.stderr);
});
