// Load (issue 17): the areas together on 127.0.0.1. Real haven clients back up concurrently,
// each its own group, token, cache and source tree that changes between backups, while prune
// (a retention policy per group), garbage collection and verification run one after another
// on the source, an offsite havend follows it (replication in follow mode), and UI-like
// watchers read the live WebSocket, all for a bounded time. Jobs never block backups: no
// backup may fail. Afterwards every snapshot the source keeps restores bit-exact against its
// tree as it stood when taken, the offsite has every one of them (the newest of each group
// restored from there too), and both stores check clean. Printed: throughput, the longest
// stall, `has` latency quantiles (the daemon's histogram) and the daemon's peak memory.
//
// `npm test` runs a small form (3 clients, 2 watchers, about 12 s of load); HAVEN_RELIABILITY=1
// (npm run reliability) the full one (8 clients, 10 watchers, 3.5 minutes).

import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ApiClient } from '../../client/src/api/api-client.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import type { CreateTokenResponse } from '../../core/src/api/tokens.js';
import type { GcStatus } from '../../core/src/api/gc.js';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import type { PruneResponse } from '../../core/src/api/retention.js';
import type { VerifyStartResponse } from '../../core/src/api/verify.js';
import { runBounded } from '../helpers/bounded-run.js';
import { HAVEND, createToken, setupCodeOf } from '../helpers/daemon.js';
import { haven } from '../helpers/haven-cli.js';
import { realFiles } from '../helpers/real-data.js';
import { eventually, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSameTree, describeTree } from '../helpers/tree-compare.js';
import { startGc, task } from '../gc/gc-daemon.js';
import { LoadClient } from './load-client.js';
import { hasLatency, memorySampler, mib } from './load-figures.js';
import { setUpAdmin, watchLive, type WatchFigures } from './live-watchers.js';

const RELIABILITY = process.env.HAVEN_RELIABILITY === '1';
const SHAPE = RELIABILITY
  ? { clients: 8, watchers: 10, loadMs: Number(process.env.HAVEN_LOAD_SECONDS ?? 210) * 1000, realBytes: 16 << 20, largeBytes: 12 << 20, keepLast: 3, restoreEvery: true }
  : { clients: 3, watchers: 2, loadMs: 12_000, realBytes: 2 << 20, largeBytes: 2 << 20, keepLast: 1, restoreEvery: false };
const PASSWORD = 'load test admin password';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function awaitTask(api: ApiClient, id: string): Promise<TaskInfo> {
  for (const end = Date.now() + 600_000; Date.now() < end; await sleep(250)) {
    const t = await task(api, id);
    if (t.status !== 'running') return t;
  }
  throw new Error(`task ${id} still running after 10 minutes`);
}

interface JobFigures {
  prunes: number;
  pruned: number;
  gcs: number;
  verifications: number;
  failures: string[];
}

function jobFigures(): JobFigures {
  return { prunes: 0, pruned: 0, gcs: 0, verifications: 0, failures: [] };
}

/** Prune, GC and verification, one after another: what the nightly jobs do, back to back. */
async function jobRound(api: ApiClient, f: JobFigures): Promise<void> {
  const ended = (what: string, t: TaskInfo): void => {
    if (t.status !== 'succeeded') f.failures.push(`${what} ${t.status}: ${t.result ?? ''}`);
  };
  const prune = await api.json<PruneResponse>('POST', '/api/v1/prune', {});
  f.prunes++;
  f.pruned += prune.summary.removed;
  ended('prune', prune.task);
  ended('gc', await awaitTask(api, (await startGc(api)).id));
  f.gcs++;
  const verify = await api.json<VerifyStartResponse>('POST', '/api/v1/verify', {});
  ended('verification', await awaitTask(api, verify.task.id));
  f.verifications++;
}

async function runJobs(api: ApiClient, deadline: number, f: JobFigures): Promise<void> {
  while (Date.now() < deadline) {
    await jobRound(api, f);
    await sleep(1000);
  }
}

test(`load: ${SHAPE.clients} clients back up for ${SHAPE.loadMs / 1000} s beside prune, GC, verification, a following offsite and ${SHAPE.watchers} live watchers`, { timeout: SHAPE.loadMs + 900_000 }, async (t) => {
  const phases: string[] = [];
  let phaseStart = Date.now();
  const phase = (name: string): void => {
    phases.push(`${name} ${((Date.now() - phaseStart) / 1000).toFixed(1)} s`);
    phaseStart = Date.now();
  };
  const pair = await replicationPair(t, 'load-0', { env: { HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(4 << 20) } });
  const { source, offsite } = pair;
  const posix = createPosixOps();
  phase('daemons');
  const admin = source.daemon.client(createToken(source.dataDir, 'admin'));
  const offsiteAdminToken = createToken(offsite.dataDir, 'admin');
  const offsiteAdmin = offsite.daemon.client(offsiteAdminToken);

  const clients: LoadClient[] = [];
  for (let i = 0; i < SHAPE.clients; i++) {
    const group = `load-${i}`;
    const work = tempDir(t, `haven-load-${i}-`);
    const env = { HAVEN_SERVER: source.daemon.url, HAVEN_TOKEN: (await admin.json<CreateTokenResponse>('POST', '/api/v1/tokens', { name: group, scope: `backup:${group}` })).token, HAVEN_CACHE_DIR: join(work, 'cache'), HOME: join(work, 'home'), XDG_CONFIG_HOME: join(work, 'config') };
    clients.push(new LoadClient({ group, work, env, largeBytes: SHAPE.largeBytes }, posix));
    await admin.json('PUT', `/api/v1/retention/${group}`, { keepLast: SHAPE.keepLast });
  }
  phase('tokens, policies');
  const real = realFiles(SHAPE.realBytes * SHAPE.clients);
  for (const [i, c] of clients.entries()) await c.prepare(real.filter((_, k) => k % clients.length === i));
  phase('source trees');
  const added = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--json']);
  assert.equal(added.code, 0, added.stderr);
  await setUpAdmin(source.daemon.url, setupCodeOf(source.daemon.output()), 'admin', PASSWORD);

  const sourceMemory = memorySampler(source.daemon.proc.pid as number);
  const offsiteMemory = memorySampler(offsite.daemon.proc.pid as number);
  let endWatching = (): void => {};
  const watchingEnds = new Promise<void>((r) => (endWatching = r));
  t.after(() => {
    endWatching();
    sourceMemory.stop();
    offsiteMemory.stop();
  });
  const watchers = Array.from({ length: SHAPE.watchers }, () => watchLive(source.daemon.url, 'admin', PASSWORD, watchingEnds));
  phase('peer, admin, watchers');
  const loadAtStart = loadavg()[0] as number;
  const started = Date.now();
  const deadline = started + SHAPE.loadMs;
  const jobs = jobFigures();
  await Promise.all([runJobs(admin, deadline, jobs), ...clients.map((c) => c.run(deadline))]);
  const loadMs = Date.now() - started;
  phase('load');
  // one more round after the last backups (the offsite still following): every group is pruned
  // to its policy, and what that left is collected before anything is restored or checked
  await jobRound(admin, jobs);
  phase('last job round');
  const loadAtEnd = loadavg()[0] as number;
  endWatching();
  const seen: WatchFigures[] = await Promise.all(watchers);
  const has = await hasLatency(admin);
  const gcHistory = (await admin.json<GcStatus>('GET', '/api/v1/gc')).history;
  const reclaimed = gcHistory.reduce((n, h) => n + (h.summary?.reclaimedObjects ?? 0), 0);

  // no backup failed, no job failed, no watcher was cut off
  assert.deepEqual(clients.flatMap((c) => c.figures.failures), [], `every backup succeeded; the source's log ends:\n${source.daemon.output().slice(-4000)}`);
  assert.deepEqual(jobs.failures, [], 'every prune, GC and verification succeeded');
  assert.deepEqual(seen.flatMap((w) => w.failures), [], 'every watcher watched to the end');
  for (const c of clients) assert.ok(c.figures.backups >= 2, `${c.figures.group} backed up ${c.figures.backups} time(s)`);
  assert.ok(jobs.pruned > 0, 'prune removed snapshots');
  for (const w of seen) assert.ok(w.states >= 1 && w.events > 0, 'each watcher got the state and events');
  assert.ok(has.count > 0, 'has batches were timed');

  // the offsite catches up with everything the source keeps
  const kept = new Map<string, string[]>();
  for (const c of clients) kept.set(c.figures.group, (await admin.snapshots(c.figures.group)).snapshots.map((s) => s.id));
  await eventually('the offsite has every snapshot the source keeps', 300_000, async () => {
    for (const [group, ids] of kept) {
      const there = new Set((await offsiteAdmin.snapshots(group)).snapshots.map((s) => s.id));
      if (!ids.every((id) => there.has(id))) return false;
    }
    return true;
  });

  phase('offsite catching up');

  // restores, bit-exact against the tree each snapshot was taken of
  let restored = 0;
  const restore = async (env: NodeJS.ProcessEnv, id: string, taken: ReturnType<LoadClient['figures']['taken']['get']>, where: string): Promise<void> => {
    assert.ok(taken, `snapshot ${id.slice(0, 12)} was taken by this test`);
    const target = tempDir(t, 'haven-load-restore-');
    const r = await haven(['restore', id, '--target', target, '--json'], { env, timeoutMs: 300_000 });
    assert.equal(r.code, 0, `restore of ${id.slice(0, 12)} from ${where}: ${r.stderr}`);
    assertSameTree(await describeTree(join(target, 'src'), posix), taken, `${id.slice(0, 12)} from ${where}`);
    rmSync(target, { recursive: true, force: true });
    restored++;
  };
  for (const c of clients) {
    const ids = kept.get(c.figures.group) as string[];
    assert.ok(ids.length >= 1 && ids.length <= SHAPE.keepLast + 1, `${c.figures.group} keeps ${ids.length} snapshot(s) under keepLast ${SHAPE.keepLast}`);
    for (const id of SHAPE.restoreEvery ? ids : ids.slice(-1)) await restore(c.options.env, id, c.figures.taken.get(id), 'the source');
    if (!SHAPE.restoreEvery && c !== clients[0]) continue;
    // from the offsite: the newest, and the oldest it holds (pruned on the source long since)
    const there = (await offsiteAdmin.snapshots(c.figures.group)).snapshots.map((s) => s.id);
    const offsiteEnv = { ...c.options.env, HAVEN_SERVER: offsite.daemon.url, HAVEN_TOKEN: offsiteAdminToken, HAVEN_CACHE_DIR: join(c.options.work, 'offsite-cache') };
    for (const id of new Set(SHAPE.restoreEvery ? [there[0] as string, there[there.length - 1] as string] : there.slice(-1))) {
      await restore(offsiteEnv, id, c.figures.taken.get(id), 'the offsite');
    }
  }
  phase('restores');
  const peer = await pair.peerStatus('primary');
  let offsiteHeld = 0;
  for (const c of clients) offsiteHeld += (await offsiteAdmin.snapshots(c.figures.group)).snapshots.length;

  const sourcePeak = sourceMemory.peak();
  const offsitePeak = offsiteMemory.peak();
  sourceMemory.stop();
  offsiteMemory.stop();
  await Promise.all([source.daemon.stop(), offsite.daemon.stop()]);
  const checks = await Promise.all([source, offsite].map((side) => runBounded(HAVEND, ['store', 'check', '--data', side.dataDir, '--json'], { timeoutMs: 600_000 })));
  checks.forEach((check, i) => assert.equal(check.code, 0, `store check of ${i === 0 ? 'the source' : 'the offsite'}: ${check.stdout}${check.stderr}`));

  phase('store checks');
  const secs = loadMs / 1000;
  const total = clients.reduce((n, c) => n + c.figures.bytesRead, 0);
  const backups = clients.reduce((n, c) => n + c.figures.backups, 0);
  const stall = seen.reduce((w, s) => (s.longestSessionGapMs > w.longestSessionGapMs ? s : w));
  const longestBackup = clients.reduce((w, c) => (c.figures.longestBackupMs > w.figures.longestBackupMs ? c : w));
  t.diagnostic(`load held ${secs.toFixed(0)} s; load average ${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end`);
  t.diagnostic(`${backups} backups, none failed; ${mib(total)} MiB read and chunked, ${mib(clients.reduce((n, c) => n + c.figures.bytesSent, 0))} MiB uploaded: ${(total / 1048576 / secs).toFixed(2)} MiB/s overall`);
  for (const c of clients) {
    const f = c.figures;
    t.diagnostic(`  ${f.group}: ${f.backups} backups, ${mib(f.bytesRead)} MiB read (${(f.bytesRead / 1048576 / secs).toFixed(2)} MiB/s over the run, ${(f.bytesRead / 1048576 / (f.busyMs / 1000)).toFixed(2)} MiB/s while backing up), longest backup ${(f.longestBackupMs / 1000).toFixed(1)} s`);
  }
  t.diagnostic(`jobs: ${jobs.prunes} prunes (${jobs.pruned} snapshots removed), ${jobs.gcs} GC runs (${reclaimed} objects reclaimed), ${jobs.verifications} verifications, all succeeded`);
  t.diagnostic(`longest stall: ${(stall.longestSessionGapMs / 1000).toFixed(2)} s without progress in a ${stall.longestGapGroup ?? '-'} session (live events); longest backup ${(longestBackup.figures.longestBackupMs / 1000).toFixed(1)} s (${longestBackup.figures.group})`);
  t.diagnostic(`has: ${has.count} batches, p50 <= ${has.p50} ms, p95 <= ${has.p95} ms, p99 <= ${has.p99} ms, max <= ${has.max} ms, mean ${has.meanMs.toFixed(2)} ms`);
  t.diagnostic(`havend peak memory: source VmHWM ${sourcePeak.hwmMiB.toFixed(0)} MiB (RssAnon ${sourcePeak.anonMiB.toFixed(0)} MiB), offsite VmHWM ${offsitePeak.hwmMiB.toFixed(0)} MiB (RssAnon ${offsitePeak.anonMiB.toFixed(0)} MiB)`);
  t.diagnostic(`watchers: ${seen.reduce((n, w) => n + w.messages, 0)} messages, ${seen.reduce((n, w) => n + w.reconnects, 0)} reconnects after a too-slow close`);
  t.diagnostic(`phases: ${phases.join(', ')}`);
  t.diagnostic(`offsite: ${offsiteHeld} snapshots held, ${peer.snapshotsPulled} pulled, ${peer.snapshotsBehind} behind, last error ${peer.lastError ?? 'none'}; ${restored} restores bit-exact`);
});
