// bench/gc (2): garbage collection on a synthetic datastore of many small objects.
//
//   node dist/bench/gc/synthetic.js [--objects 10000000] [--dir /var/tmp/bench/gc-synthetic]
//        [--snapshots 100] [--change 0.02] [--delete 50] [--source /var/tmp/bench/ds-1.5G/src]
//        [--ingest-runs 3] [--only generate|gc|ingest|floor] [--gc-runs 2] [--max-minutes 60]
//
// 1. Builds (or reuses, when its parameters match) a datastore of about --objects objects
//    referenced by --snapshots snapshots sharing most of their trees (synthetic-store.ts).
// 2. Starts the real havend on it, waits until it has measured the snapshots' sizes (its
//    start-up work on a datastore built outside it), prunes the oldest --delete snapshots
//    (`havend prune --keep-last`), then runs a GC --gc-runs times as `havend gc --wait` does
//    (POST /api/v1/gc, then GET /api/v1/gc until the run is in the history; the first run
//    condemns, the second reclaims and compacts), sampling the daemon's RssAnon every 50 ms
//    and timing each poll. (--gc-runs 1 on a copy saved after a first run times the second.)
// 3. Ingest: backs up fresh salted copies of --source (every chunk new, salted-tree.ts) with
//    the real client: one alone, --ingest-runs back to back while one GC runs at its default
//    priority, the rest alone; prints the throughput of each and the medians.
// --only floor (no daemon running on the datastore): what any collector must do at least, one
// pass over the index and every tree read and decoded once (mark-floor.ts).
// Keep the datastore out of the repository and out of shared/ (/var/tmp/bench).

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { GcRun, GcStartResponse, GcStatus, GcSummary } from '../../core/src/api/gc.js';
import { runBounded, type BoundedResult } from '../../tests/helpers/bounded-run.js';
import { createToken, HAVEND, startDaemon, type Daemon } from '../../tests/helpers/daemon.js';
import { HAVEN } from '../../tests/helpers/haven-cli.js';
import { buildSyntheticDatastore, leavesFor, type SyntheticOptions, type SyntheticResult } from './synthetic-store.js';
import { readCpuSeconds, readMemory, sampleMemory, type MemoryPeaks } from './proc-figures.js';
import { saltedCopy } from './salted-tree.js';
import { measureMarkFloor } from './mark-floor.js';
import { median } from './median.js';
import { api as apiRequest, sizesMeasured as waitSizesMeasured } from '../lib/daemon-api.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000000' },
    dir: { type: 'string', default: '/var/tmp/bench/gc-synthetic' },
    snapshots: { type: 'string', default: '100' },
    change: { type: 'string', default: '0.02' },
    'files-per-dir': { type: 'string', default: '256' },
    delete: { type: 'string', default: '50' },
    source: { type: 'string', default: '/var/tmp/bench/ds-1.5G/src' },
    'ingest-runs': { type: 'string', default: '3' },
    only: { type: 'string' },
    'gc-runs': { type: 'string', default: '2' },
    'max-minutes': { type: 'string', default: '60' },
  },
});

const GROUP = 'synthetic';
const MiB = 1024 * 1024;
const POLL_MS = 250;
const deadline = Date.now() + Number(values['max-minutes']) * 60_000;
const log = (line: string): void => void process.stderr.write(`[gc-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

type Ran = BoundedResult;

/** Runs a command to its end, its process group killed past the benchmark's deadline. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Ran> {
  return runBounded(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, timeoutMs: Math.max(1000, deadline - Date.now()) });
}

const seconds = (r: Ran): number => r.elapsedMs / 1000;

function must(r: Ran, what: string): Ran {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr || r.stdout}`);
  return r;
}

// ---------------------------------------------------------------- 1. the datastore

const options: SyntheticOptions = {
  dataDir: values.dir,
  objects: Number(values.objects),
  snapshots: Number(values.snapshots),
  change: Number(values.change),
  filesPerDir: Number(values['files-per-dir']),
  group: GROUP,
  segmentMaxBytes: 64 * MiB, // the daemon's default (config datastore.segmentMaxBytes)
  progress: log,
};
const MARKER = join(values.dir, 'synthetic.json');

async function datastore(): Promise<SyntheticResult> {
  const wanted = { objects: options.objects, snapshots: options.snapshots, change: options.change, filesPerDir: options.filesPerDir };
  if (existsSync(MARKER)) {
    const had = JSON.parse(readFileSync(MARKER, 'utf8')) as { wanted: typeof wanted; result: SyntheticResult };
    if (JSON.stringify(had.wanted) === JSON.stringify(wanted)) {
      log(`reusing ${values.dir} (${had.result.objects} objects; delete it to build anew)`);
      return had.result;
    }
  }
  rmSync(values.dir, { recursive: true, force: true });
  mkdirSync(values.dir, { recursive: true });
  log(`building ${values.dir}: ${options.objects} objects, ${leavesFor(options)} leaves, ${options.snapshots} snapshots`);
  const result = await buildSyntheticDatastore(options);
  writeFileSync(MARKER, JSON.stringify({ wanted, result }, null, 2));
  return result;
}

function du(path: string): Promise<{ apparent: number; allocated: number }> {
  return Promise.all([run('du', ['-sb', path]), run('du', ['-sB1', path])]).then(([a, b]) => ({
    apparent: Number(a.stdout.split('\t')[0]),
    allocated: Number(b.stdout.split('\t')[0]),
  }));
}

// ---------------------------------------------------------------- 2. GC alone

interface GcRunFigures {
  seconds: number;
  /** The daemon's CPU seconds meanwhile (all threads). */
  cpuSeconds: number;
  memory: MemoryPeaks;
  summary: GcSummary | null;
  slowestPollMs: number;
  /** The run's progress message just before the slowest answer. */
  slowestDuring: string;
  pollErrors: number;
}

async function api<T>(daemon: Daemon, token: string, method: string, path: string): Promise<{ body: T; ms: number }> {
  return apiRequest<T>(daemon, token, method, path, log);
}

/**
 * Starts a GC run (POST /api/v1/gc, as `havend gc` does) and polls GET /api/v1/gc until the
 * run is in the history. The slowest poll is how long the daemon's API went unanswered.
 */
async function gcRun(daemon: Daemon, token: string): Promise<{ run: GcRun; seconds: number; slowestPollMs: number; slowestDuring: string; pollErrors: number }> {
  const t0 = performance.now();
  const { body: started } = await api<GcStartResponse>(daemon, token, 'POST', '/api/v1/gc');
  let slowest = 0;
  let slowestDuring = '';
  let phase = 'starting';
  let errors = 0;
  for (;;) {
    if (Date.now() > deadline) throw new Error('the GC did not end before the benchmark\'s deadline');
    const { exitCode, signalCode } = daemon.proc;
    if (exitCode !== null || signalCode !== null) throw new Error(`havend exited during the GC: code ${String(exitCode)}, signal ${String(signalCode)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
    const asked = performance.now();
    try {
      const { body, ms } = await api<GcStatus>(daemon, token, 'GET', '/api/v1/gc');
      if (ms > slowest) {
        slowest = ms;
        slowestDuring = phase; // what the run was doing when the unanswered time began
      }
      phase = body.running?.progressMessage ?? phase;
      const run = body.history.find((r) => r.task === started.task.id);
      if (run) return { run, seconds: (performance.now() - t0) / 1000, slowestPollMs: slowest, slowestDuring, pollErrors: errors };
    } catch (err) {
      // a request the daemon dropped counts as unanswered for as long as it waited
      const ms = performance.now() - asked;
      errors++;
      if (ms > slowest) {
        slowest = ms;
        slowestDuring = `${phase}; failed`;
      }
      log(`GET /api/v1/gc failed after ${(ms / 1000).toFixed(2)} s: ${String((err as Error).cause ?? err)}`);
    }
  }
}

/** The daemon's start-up work on a datastore built outside it, not counted in the first GC's time. */
async function sizesMeasured(daemon: Daemon, token: string): Promise<void> {
  const s = await waitSizesMeasured(daemon, token, deadline, log, POLL_MS);
  console.log(`snapshot sizes measured (the daemon's own start-up work, not timed with the GC): ${s.toFixed(1)} s`);
}

async function gcOnce(daemon: Daemon, token: string): Promise<GcRunFigures> {
  const pid = daemon.proc.pid as number;
  const cpu0 = readCpuSeconds(pid);
  const sampler = sampleMemory(pid);
  const r = await gcRun(daemon, token);
  const memory = sampler.stop();
  const cpuSeconds = readCpuSeconds(pid) - cpu0;
  if (r.run.status !== 'succeeded') throw new Error(`GC ${r.run.status}: ${r.run.error ?? ''}`);
  return { seconds: r.seconds, cpuSeconds, memory, summary: r.run.summary, slowestPollMs: r.slowestPollMs, slowestDuring: r.slowestDuring, pollErrors: r.pollErrors };
}

const kib = (k: number): string => `${(k / 1024).toFixed(1)} MiB`;

function printGc(label: string, g: GcRunFigures): void {
  const s = g.summary;
  console.log(
    `${label.padEnd(8)} ${g.seconds.toFixed(1).padStart(7)} s (daemon CPU ${g.cpuSeconds.toFixed(1)} s)  RssAnon ${kib(g.memory.startAnonKiB)} -> peak ${kib(g.memory.peakAnonKiB)}` +
      ` (RssFile then ${kib(g.memory.fileAtPeakKiB)}, VmHWM ${kib(g.memory.vmHwmKiB)}, ${g.memory.samples} samples);` +
      ` slowest API answer ${(g.slowestPollMs / 1000).toFixed(2)} s (after "${g.slowestDuring}")${g.pollErrors > 0 ? `, ${g.pollErrors} failed` : ''}`,
  );
  if (s) {
    console.log(
      `         marked ${s.marked}, roots ${s.roots}, condemned ${s.condemnedObjects} (${(s.condemnedBytes / MiB).toFixed(1)} MiB),` +
        ` reclaimed ${s.reclaimedObjects} (${(s.reclaimedBytes / MiB).toFixed(1)} MiB), revived ${s.revived};` +
        ` mark ${(s.phases.markMs / 1000).toFixed(1)} s, sweep ${(s.phases.sweepMs / 1000).toFixed(1)} s, compact ${(s.phases.compactMs / 1000).toFixed(1)} s` +
        `; compaction ${s.compaction.segments} segment(s), ${(s.compaction.bytesFreed / MiB).toFixed(1)} MiB freed`,
    );
  }
}

// ---------------------------------------------------------------- 3. ingest with and without GC

interface IngestFigures {
  label: string;
  seconds: number;
  mibPerSecond: number;
  /** Whether a GC ran from before this backup started until after it ended. */
  underGc: boolean;
}

interface SaltedSource {
  dir: string;
  bytes: number;
}

/** Fresh copies of --source, every chunk new (salted-tree.ts), made before any clock starts. */
function saltedSources(n: number): SaltedSource[] {
  const work = join(dirname(values.dir), 'gc-ingest');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const out: SaltedSource[] = [];
  for (let i = 0; i < n; i++) {
    const dir = join(work, `t${i}`);
    mkdirSync(dir);
    const tree = saltedCopy(values.source, join(dir, 'src'), `haven gc bench ${i} ${Date.now()} ${Math.random()}`);
    out.push({ dir, bytes: tree.bytes });
  }
  return out;
}

async function backupOf(daemon: Daemon, token: string, source: SaltedSource, label: string, gcRunning: () => boolean): Promise<IngestFigures> {
  await run('sync', []);
  const before = gcRunning();
  const env = { HAVEN_SERVER: daemon.url, HAVEN_TOKEN: token, HAVEN_CACHE_DIR: join(source.dir, 'cache') };
  const r = must(await run(HAVEN, ['backup', '--group', `ingest-${label}`, 'src'], { env, cwd: source.dir }), 'haven backup');
  const f = { label, seconds: seconds(r), mibPerSecond: source.bytes / MiB / seconds(r), underGc: before && gcRunning() };
  console.log(`ingest ${label.padEnd(10)} ${f.seconds.toFixed(2)} s  ${f.mibPerSecond.toFixed(1)} MiB/s${before ? (f.underGc ? '  (GC running throughout)' : '  (the GC ended during it: not counted)') : ''}`);
  rmSync(join(source.dir, 'src'), { recursive: true, force: true });
  return f;
}

/**
 * One backup alone, then `n` back to back while one GC runs (the GC on a large datastore
 * outlasts several), then the rest alone: the backups without GC bracket those with it.
 */
async function ingest(daemon: Daemon, token: string, n: number): Promise<void> {
  const sources = saltedSources(2 * n);
  const alone: IngestFigures[] = [];
  const during: IngestFigures[] = [];
  let gcDone = true;
  alone.push(await backupOf(daemon, token, sources[0] as SaltedSource, 'alone-1', () => false));
  gcDone = false;
  const gc = gcRun(daemon, token).finally(() => (gcDone = true));
  await new Promise((r) => setTimeout(r, 1000)); // the run is under way
  for (let i = 0; i < n && !gcDone; i++) during.push(await backupOf(daemon, token, sources[n + i] as SaltedSource, `gc-${i + 1}`, () => !gcDone));
  const g = await gc;
  console.log(`GC during ingest: ${g.seconds.toFixed(1)} s, ${g.run.status}; slowest API answer ${(g.slowestPollMs / 1000).toFixed(2)} s (after "${g.slowestDuring}")`);
  for (let i = 1; i < n; i++) alone.push(await backupOf(daemon, token, sources[i] as SaltedSource, `alone-${i + 1}`, () => false));
  const counted = during.filter((f) => f.underGc);
  if (counted.length > 0) {
    const a = median(alone.map((f) => f.mibPerSecond));
    const d = median(counted.map((f) => f.mibPerSecond));
    console.log(`ingest medians: alone ${a.toFixed(1)} MiB/s (${alone.length}), during GC ${d.toFixed(1)} MiB/s (${counted.length}): ${((1 - d / a) * 100).toFixed(1)}% lower`);
    // The median hides one backup that a pause of the daemon held up: the sums do not.
    const rate = (fs: IngestFigures[]): number => fs.reduce((n, f) => n + f.mibPerSecond * f.seconds, 0) / fs.reduce((n, f) => n + f.seconds, 0);
    console.log(`ingest sums: alone ${rate(alone).toFixed(1)} MiB/s, during GC ${rate(counted).toFixed(1)} MiB/s: ${((1 - rate(counted) / rate(alone)) * 100).toFixed(1)}% lower; slowest backup during GC ${Math.min(...counted.map((f) => f.mibPerSecond)).toFixed(1)} MiB/s`);
  } else console.log('no backup ran entirely under the GC: use a larger datastore or a smaller --source');
  rmSync(join(dirname(values.dir), 'gc-ingest'), { recursive: true, force: true });
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const only = values.only;
  const ds = await datastore();
  console.log(
    `datastore: ${ds.objects} objects (${ds.dataObjects} chunks, ${ds.treeObjects} trees), ${ds.leaves} leaves in ${ds.leafDirs} directories, ` +
      `${ds.snapshots} snapshots, ${ds.leavesPerSnapshot} leaves new per snapshot; built in ${ds.seconds.toFixed(0)} s`,
  );
  const size0 = await du(values.dir);
  console.log(`size: ${(size0.apparent / MiB).toFixed(0)} MiB apparent, ${(size0.allocated / MiB).toFixed(0)} MiB on disk`);
  if (only === 'generate') return;
  if (only === 'floor') {
    const f = await measureMarkFloor(values.dir, options.segmentMaxBytes);
    console.log(`floor: one index pass over ${f.objects} objects ${f.scanSeconds.toFixed(1)} s (${f.scanCpuSeconds.toFixed(1)} CPU-s);` +
      ` reading and decoding all ${f.trees} trees (${f.entries} entries) ${f.treeSeconds.toFixed(1)} s (${f.treeCpuSeconds.toFixed(1)} CPU-s)`);
    return;
  }

  const token = createToken(values.dir, 'admin', `gc-bench-${Date.now()}`);
  // no scheduled run: every GC measured here is one the benchmark started
  const daemon = await startDaemon(null, { dataDir: values.dir, env: { HAVEND_GC_CRON: '' } });
  const pid = daemon.proc.pid as number;
  let stopping = false;
  daemon.proc.once('exit', (code, signal) => {
    if (!stopping) log(`havend exited during the benchmark: code ${String(code)}, signal ${String(signal)}`);
  });
  try {
    const idle = readMemory(pid);
    console.log(`havend pid ${pid}: RssAnon ${kib(idle?.rssAnonKiB ?? 0)} after start`);
    if (only === undefined || only === 'gc') {
      const keep = options.snapshots - Number(values.delete);
      const prune = must(await run(HAVEND, ['prune', '--group', GROUP, '--keep-last', String(keep), '--data', values.dir]), 'havend prune');
      console.log(`prune --keep-last ${keep}: ${seconds(prune).toFixed(1)} s`);
      await sizesMeasured(daemon, token);
      for (let i = 1; i <= Number(values['gc-runs']); i++) printGc(`gc ${i}`, await gcOnce(daemon, token));
      const size1 = await du(values.dir);
      console.log(`size after: ${(size1.apparent / MiB).toFixed(0)} MiB apparent, ${(size1.allocated / MiB).toFixed(0)} MiB on disk`);
    }
    if (only === undefined || only === 'ingest') {
      await ingest(daemon, token, Number(values['ingest-runs']));
    }
  } finally {
    stopping = true;
    await daemon.stop();
    writeFileSync(join(dirname(values.dir), 'gc-bench-havend.log'), daemon.output());
  }
}

await main();
