// havend's start-up cost, in CPU seconds (they hold on a loaded machine, where wall time stretches
// with everyone else's work): `havend serve` on a fresh data directory until it prints "serving on"
// (the test daemons' quiet schedules), then a few CLI subcommands against that daemon, each to its
// exit. Usage: node dist/bench/startup/start-cpu.js [--root REPO] [--runs N]
// REPO is a built checkout (default: this one); run it on a copy, not on a dist being rebuilt.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { median } from '../gc/median.js';
import { table } from '../lib/table.js';

const { values } = parseArgs({ options: { root: { type: 'string' }, runs: { type: 'string' } } });
const root = resolve(values.root ?? join(fileURLToPath(import.meta.url), '../../../..'));
const runs = Number(values.runs ?? 3);
const havend = join(root, 'bin/havend');
const CLOCK_TICKS = 100; // USER_HZ
const QUIET = {
  HAVEND_GC_CRON: '', HAVEND_VERIFY_CRON: '', HAVEND_DRILL_CRON: '', HAVEND_RETENTION_PRUNE_CRON: '',
  HAVEND_REPORTS_SUMMARY_CRON: '', HAVEND_LOG_LEVEL: 'warn',
};

interface Figures { wall: number; user: number; sys: number }

/** User and system CPU seconds of a running process so far (/proc/<pid>/stat fields 14 and 15). */
function cpuSplit(pid: number): { user: number; sys: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return { user: Number(f[11]) / CLOCK_TICKS, sys: Number(f[12]) / CLOCK_TICKS };
}

/** Starts a daemon; resolves with its figures at "serving on" and a way to stop it. */
function serve(dataDir: string): Promise<{ figures: Figures; stop: () => Promise<void> }> {
  const t0 = performance.now();
  const p = spawn(process.execPath, [havend, 'serve', '--data', dataDir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...QUIET },
  });
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  const stop = async (): Promise<void> => { p.kill('SIGTERM'); await exited; };
  return new Promise((resolveStart, reject) => {
    let out = '';
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`no "serving on" in 60 s: ${out}`)); }, 60_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (!/serving on/.test(out)) return;
      p.stdout.off('data', onData);
      clearTimeout(timer);
      resolveStart({ figures: { wall: (performance.now() - t0) / 1000, ...cpuSplit(p.pid as number) }, stop });
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  });
}

/** One CLI run to its exit, measured by /usr/bin/time (the process's own rusage). */
function cli(args: string[]): Promise<Figures> {
  const t0 = performance.now();
  const p = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, havend, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...QUIET } });
  let err = '';
  p.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  return new Promise((resolveRun, reject) => {
    p.once('exit', (code) => {
      const m = /(\d+\.\d+) (\d+\.\d+)\s*$/.exec(err);
      if (code !== 0 || !m) reject(new Error(`havend ${args.join(' ')} exited ${code}: ${err}`));
      else resolveRun({ wall: (performance.now() - t0) / 1000, user: Number(m[1]), sys: Number(m[2]) });
    });
  });
}

const rows = new Map<string, Figures[]>();
const add = (name: string, f: Figures): void => { rows.set(name, [...(rows.get(name) ?? []), f]); };
for (let i = 0; i < runs; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'haven-startup-'));
  try {
    const daemon = await serve(dataDir);
    add('serve (to "serving on")', daemon.figures);
    try {
      add('version', await cli(['version']));
      add('token create', await cli(['token', 'create', '--data', dataDir, '--scope', 'admin']));
      add('plan list', await cli(['plan', 'list', '--data', dataDir]));
      add('store check', await cli(['store', 'check', '--data', dataDir]));
      add('disks', await cli(['disks', '--data', dataDir]));
    } finally {
      await daemon.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
const s = (x: number): string => x.toFixed(2);
console.log(`havend start-up, ${root}, median of ${runs} runs (seconds)`);
console.log(table([
  ['what', '', 'cpu user', 'cpu sys', 'cpu total', 'wall'],
  ...[...rows].map(([name, fs]) => [name, '', s(median(fs.map((f) => f.user))), s(median(fs.map((f) => f.sys))),
    s(median(fs.map((f) => f.user + f.sys))), s(median(fs.map((f) => f.wall)))]),
]));
