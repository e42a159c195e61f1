// bench/scale: an appliance holding tens of thousands of snapshots of one group, as continuous
// protection leaves it (`haven backup --watch`: a snapshot a minute is 43,200 in a month).
//
//   node dist/bench/scale/many-snapshots.js [--dir /var/tmp/bench/many-snapshots]
//        [--snapshots 50000] [--interval-seconds 60] [--max-minutes 30]
//
// Builds (or reuses, when its parameters match) a synthetic datastore (bench/gc/synthetic-store.ts)
// of --snapshots snapshots, --interval-seconds apart and ending when it is built, each changing
// a few small files of a ~1,000-file tree. Then, on a fresh copy of it, the real havend and
// its real commands, each timed whole with the daemon's CPU seconds meanwhile: the start, the
// sizes of snapshots it never measured, the group's listing over the API and in `haven
// snapshots`, `havend plan list`, `havend report`, a prune preview and the prune itself
// (`--keep-hourly 48 --keep-daily 30`: all but ~80 go), and two garbage collections (the first
// condemns, the second reclaims). Keep the datastore out of the repository (/var/tmp/bench).

import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { SnapshotSummary } from '../../core/src/api/snapshots.js';
import { runBounded, type BoundedResult } from '../../tests/helpers/bounded-run.js';
import { createToken, HAVEND, startDaemon, type Daemon } from '../../tests/helpers/daemon.js';
import { HAVEN } from '../../tests/helpers/haven-cli.js';
import { buildSyntheticDatastore, type SyntheticResult } from '../gc/synthetic-store.js';
import { readCpuSeconds, readMemory } from '../gc/proc-figures.js';
import { api, sizesMeasured } from '../lib/daemon-api.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '/var/tmp/bench/many-snapshots' },
    snapshots: { type: 'string', default: '50000' },
    'interval-seconds': { type: 'string', default: '60' },
    'max-minutes': { type: 'string', default: '30' },
  },
});

const GROUP = 'watch';
const MiB = 1024 * 1024;
const deadline = Date.now() + Number(values['max-minutes']) * 60_000;
const log = (line: string): void => void process.stderr.write(`[many-snapshots ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const STAGE = join(values.dir, 'stage');
const RUN = join(values.dir, 'run');
const MARKER = join(values.dir, 'stage.json');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<BoundedResult> {
  return runBounded(cmd, args, { env: { ...process.env, ...env }, timeoutMs: Math.max(1000, deadline - Date.now()) });
}

function must(r: BoundedResult, what: string): BoundedResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr || r.stdout}`);
  return r;
}

async function stage(): Promise<SyntheticResult> {
  const wanted = { snapshots: Number(values.snapshots), intervalSeconds: Number(values['interval-seconds']) };
  if (existsSync(MARKER)) {
    const had = JSON.parse(readFileSync(MARKER, 'utf8')) as { wanted: typeof wanted; result: SyntheticResult };
    if (JSON.stringify(had.wanted) === JSON.stringify(wanted)) {
      log(`reusing ${STAGE} (delete ${values.dir} to build anew)`);
      return had.result;
    }
  }
  rmSync(values.dir, { recursive: true, force: true });
  mkdirSync(STAGE, { recursive: true });
  const intervalMs = wanted.intervalSeconds * 1000;
  log(`building ${STAGE}: ${wanted.snapshots} snapshots ${wanted.intervalSeconds} s apart`);
  // ~1,000 files of one small chunk in directories of 8; each snapshot rewrites ~4 of them
  const result = await buildSyntheticDatastore({
    dataDir: STAGE, objects: 7600, snapshots: wanted.snapshots, change: 1e-4, filesPerDir: 8, group: GROUP,
    segmentMaxBytes: 64 * MiB, firstTime: Date.now() - wanted.snapshots * intervalMs, intervalMs, progress: log,
  });
  writeFileSync(MARKER, JSON.stringify({ wanted, result }, null, 2));
  return result;
}

/** Times `step` whole, with the daemon's CPU seconds meanwhile, and prints one line. */
async function timed<T>(daemon: Daemon, label: string, step: () => Promise<T>, detail: (r: T) => string = () => ''): Promise<T> {
  const pid = daemon.proc.pid as number;
  const cpu0 = readCpuSeconds(pid);
  const t0 = performance.now();
  const r = await step();
  const seconds = (performance.now() - t0) / 1000;
  const extra = detail(r);
  const anon = (readMemory(pid)?.rssAnonKiB ?? 0) / 1024;
  console.log(`${label.padEnd(34)} ${seconds.toFixed(2).padStart(8)} s   daemon ${(readCpuSeconds(pid) - cpu0).toFixed(2).padStart(7)} CPU-s, RssAnon ${anon.toFixed(0).padStart(4)} MiB after${extra ? `   ${extra}` : ''}`);
  return r;
}

async function main(): Promise<void> {
  const built = await stage();
  console.log(`datastore: ${built.snapshots} snapshots of ${built.leaves} files, ${built.objects} objects, built in ${built.seconds.toFixed(0)} s`);
  rmSync(RUN, { recursive: true, force: true });
  cpSync(STAGE, RUN, { recursive: true });
  const token = createToken(RUN, 'admin', 'many-snapshots');
  const t0 = performance.now();
  const daemon = await startDaemon(null, { dataDir: RUN, startTimeoutMs: 5 * 60_000 });
  console.log(`havend serving after ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const pid = daemon.proc.pid as number;
  const cli = (cmd: string, args: string[]): Promise<BoundedResult> =>
    run(cmd, [...args, ...(cmd === HAVEND ? ['--data', RUN] : [])], { HAVEN_SERVER: daemon.url, HAVEN_TOKEN: token, HAVEN_CONFIG: join(values.dir, 'client.json') });
  try {
    await timed(daemon, 'sizes of every snapshot measured', () => sizesMeasured(daemon, token, deadline, log));
    await timed(daemon, `GET .../groups/${GROUP}/snapshots`, () => api<{ snapshots: SnapshotSummary[] }>(daemon, token, 'GET', `/api/v1/groups/${GROUP}/snapshots`, log),
      (r) => `${r.body.snapshots.length} snapshots, ${(r.bytes / MiB).toFixed(1)} MiB`);
    await timed(daemon, 'haven snapshots', async () => must(await cli(HAVEN, ['snapshots', '--group', GROUP]), 'haven snapshots'));
    must(await cli(HAVEND, ['plan', 'add', GROUP, '--rpo', '5m']), 'havend plan add');
    await timed(daemon, 'havend plan list', async () => must(await cli(HAVEND, ['plan', 'list']), 'havend plan list'));
    await timed(daemon, 'havend report --since 90d', async () => must(await cli(HAVEND, ['report', '--since', '90d']), 'havend report'));
    const policy = ['--group', GROUP, '--keep-hourly', '48', '--keep-daily', '30'];
    await timed(daemon, 'havend prune --dry-run', async () => must(await cli(HAVEND, ['prune', '--dry-run', ...policy, '--json']), 'havend prune --dry-run'),
      (r) => `would remove ${String((JSON.parse(r.stdout) as { summary: { removed: number } }).summary.removed)}`);
    await timed(daemon, 'havend prune', async () => must(await cli(HAVEND, ['prune', ...policy, '--json']), 'havend prune'),
      (r) => `removed ${String((JSON.parse(r.stdout) as { summary: { removed: number } }).summary.removed)}`);
    await timed(daemon, 'havend gc --wait (condemns)', async () => must(await cli(HAVEND, ['gc', '--wait']), 'havend gc'));
    await timed(daemon, 'havend gc --wait (reclaims)', async () => must(await cli(HAVEND, ['gc', '--wait']), 'havend gc'));
    await timed(daemon, 'haven snapshots, after', async () => must(await cli(HAVEN, ['snapshots', '--group', GROUP]), 'haven snapshots'),
      (r) => `${r.stdout.trim().split('\n').length - 1} listed`);
    const m = readMemory(pid);
    console.log(`havend: ${readCpuSeconds(pid).toFixed(1)} CPU-s in all, peak RSS (VmHWM) ${((m?.vmHwmKiB ?? 0) / 1024).toFixed(0)} MiB`);
  } finally {
    await daemon.stop();
    writeFileSync(join(values.dir, 'havend.log'), daemon.output());
  }
}

await main();
