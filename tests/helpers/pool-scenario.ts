// Shared steps of the pool system tests: a havend with quick disk and pool polling, loop disks
// seen by its inventory, a pool created through `havend pool create`, real files backed up
// and restored with the `haven` CLI and compared entry by entry with what was backed up.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { KernelState } from '../../daemon/src/pool/kernel-state.js';
import type { ApiClient } from '../../client/src/api/api-client.js';
import type { DiskList, DiskRecord } from '../../core/src/api/disks.js';
import type { AlertInfo, TaskInfo } from '../../core/src/api/jobs.js';
import type { PoolStatus } from '../../core/src/api/pool.js';
import type { SwapInfo } from '../../core/src/api/swap.js';
import { HavenError } from '../../core/src/errors.js';
import { LIVE_PATH, type LiveEvent, type LiveMessage, type LiveState } from '../../core/src/api/live.js';
import WebSocket from 'ws';
import type { TestContext } from 'node:test';
import { HAVEND, createToken, type Daemon } from './daemon.js';
import { haven } from './haven-cli.js';
import { PoolLab, type LoopDisk } from './pool-lab.js';
import { realFiles, seededBytes } from './real-data.js';
import { assertSameTree, describeTree, type Described } from './tree-compare.js';

/** Fast polling so a test sees disks and pool changes within a second or two. */
export const POOL_TEST_ENV: NodeJS.ProcessEnv = {
  HAVEND_DISKS_HOTPLUG_POLL_MS: '300',
  HAVEND_POOL_CHECK_SECONDS: '1',
  // The lab's disks are 512 MiB: the automatic free-space reserve (384 MiB, sized for real
  // disks) would leave the backups of these tests little room, and a degraded pool less.
  HAVEND_DATASTORE_RESERVE_BYTES: String(32 << 20),
};

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined>): Promise<T> {
  const started = Date.now();
  let lastError: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null && v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The inventory record of a loop disk, once the daemon sees it present. */
export async function diskOf(api: ApiClient, d: LoopDisk, timeoutMs = 10_000): Promise<DiskRecord> {
  return waitFor(`disk ${d.file} in the inventory`, timeoutMs, async () => {
    const { disks } = await api.json<DiskList>('GET', '/api/v1/disks');
    return disks.find((x) => x.backingFile === d.file && x.present && x.devicePath === d.dev) ?? null;
  });
}

/** What the technician types: the last four characters of the serial (a loop disk: of its id). */
export function codeOf(d: Pick<DiskRecord, 'id' | 'serial'>): string {
  return (d.serial?.replace(/\s+/g, '') || d.id).slice(-4);
}

/** Runs the admin CLI against the daemon's control socket. */
export function havendCli(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    return { code: 0, stdout: execFileSync(HAVEND, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

export async function createPoolWithCli(api: ApiClient, dataDir: string, profile: string, disks: LoopDisk[]): Promise<PoolStatus> {
  const records = await Promise.all(disks.map((d) => diskOf(api, d)));
  const r = havendCli(['pool', 'create', '--data', dataDir, '--profile', profile, '--json', ...records.flatMap((d) => ['--disk', `${d.devicePath}=${codeOf(d)}`])]);
  if (r.code !== 0) throw new Error(`havend pool create failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PoolStatus;
}

export interface LiveRecorder {
  /** The full state sent on connect. */
  state: LiveState;
  /** Every event since, in order. */
  events: LiveEvent[];
  close(): void;
}

/** Listens on the live WebSocket (what the admin UI reads) with an admin token. */
export async function recordLive(daemon: Daemon, token: string): Promise<LiveRecorder> {
  const ws = new WebSocket(`${daemon.url.replace('http', 'ws')}${LIVE_PATH}`, { headers: { authorization: `Bearer ${token}` } });
  const events: LiveEvent[] = [];
  const state = await new Promise<LiveState>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as LiveMessage;
      if (m.type === 'state') resolve(m.state);
      else events.push(m);
    });
  });
  return { state, events, close: () => ws.close() };
}

export interface SwapTrace {
  /** Every distinct (step, state) the workflow was seen in, in order. */
  steps: string[];
  /** Distinct progress fractions seen while rebuilding. */
  rebuildFractions: number[];
  messages: string[];
  last: SwapInfo;
}

/** Polls a swap (every 100 ms) until `until` holds, recording what it went through. */
export async function followSwap(api: ApiClient, id: string, until: (s: SwapInfo) => boolean, timeoutMs = 120_000, trace?: SwapTrace): Promise<SwapTrace> {
  const t: SwapTrace = trace ?? { steps: [], rebuildFractions: [], messages: [], last: await api.json<SwapInfo>('GET', `/api/v1/swaps/${id}`) };
  await waitFor(`swap ${id} to reach the expected state`, timeoutMs, async () => {
    const s = await api.json<SwapInfo>('GET', `/api/v1/swaps/${id}`);
    t.last = s;
    const key = `${s.step}:${s.state}`;
    if (t.steps[t.steps.length - 1] !== key) t.steps.push(key);
    const msg = s.progress?.message;
    if (msg && t.messages[t.messages.length - 1] !== msg) t.messages.push(msg);
    const f = s.progress?.fraction;
    if (s.step === 'rebuilding' && typeof f === 'number' && !t.rebuildFractions.includes(f)) t.rebuildFractions.push(f);
    if (s.state === 'failed' && !until(s)) throw new Error(`swap failed at ${s.step}: ${s.error?.message}`);
    return until(s) ? s : null;
  }).catch((err: unknown) => {
    const l = t.last;
    throw new Error(`${(err as Error).message}; last seen ${JSON.stringify({ step: l.step, state: l.state, progress: l.progress, error: l.error, taskId: l.taskId })}`);
  });
  return t;
}

export async function swapAction(api: ApiClient, id: string, action: 'confirm' | 'cancel' | 'retry', body?: unknown): Promise<SwapInfo> {
  return api.json<SwapInfo>('POST', `/api/v1/swaps/${id}/${action}`, body ?? {});
}

/** Runs `fn` and returns the catalogue code it failed with (fails the test if it succeeds). */
export async function refusal(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof HavenError) return err.code;
    throw err;
  }
  throw new Error('expected a refusal, but it succeeded');
}

export async function poolStatus(api: ApiClient): Promise<PoolStatus> {
  return api.json<PoolStatus>('GET', '/api/v1/pool');
}

export async function openAlerts(api: ApiClient): Promise<AlertInfo[]> {
  return (await api.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts;
}

export async function taskEnd(api: ApiClient, id: string, timeoutMs = 60_000): Promise<TaskInfo> {
  return waitFor(`task ${id} to end`, timeoutMs, async () => {
    const t = await api.json<TaskInfo>('GET', `/api/v1/tasks/${id}`);
    return t.status === 'running' ? null : t;
  });
}

/** Writes real files (binaries, libraries, docs) up to `bytes` under `dir`, in a stable order. */
export function writeRealFiles(dir: string, bytes: number): number {
  const files = realFiles(bytes, 8 << 20);
  for (const f of files) {
    const to = join(dir, f.path);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, f.content);
  }
  return files.length;
}

export function dataDirOf(lab: PoolLab): string {
  return join(lab.dir, 'data');
}

export interface Generation {
  snapshot: string;
  /** The source as it was backed up, entry by entry. */
  tree: Map<string, Described>;
}

/** The real `haven` CLI against a lab daemon: back up a directory, restore a snapshot and compare. */
export class HavenClient {
  private readonly env: NodeJS.ProcessEnv;
  private restores = 0;

  constructor(private readonly lab: PoolLab, daemon: Daemon, token: string) {
    const home = join(lab.dir, 'client-home');
    mkdirSync(home, { recursive: true });
    this.env = { HAVEN_SERVER: daemon.url, HAVEN_TOKEN: token, HAVEN_CACHE_DIR: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config'), HOME: home };
  }

  /** Follows a restarted daemon (new port). */
  retarget(daemon: Daemon): void {
    this.env.HAVEN_SERVER = daemon.url;
  }

  /** Backs up `name` (a directory under the lab) into `group`. */
  async backup(name: string, group: string): Promise<Generation> {
    const r = await haven(['backup', '--group', group, name, '--json'], { cwd: this.lab.dir, env: this.env });
    assert.equal(r.code, 0, `haven backup: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { snapshot: { id: string }; warnings: string[] };
    assert.deepEqual(out.warnings, []);
    return { snapshot: out.snapshot.id, tree: await describeTree(join(this.lab.dir, name), createPosixOps()) };
  }

  /** Restores the snapshot into a fresh directory and compares every entry (content by SHA-256). */
  async restoresExactly(gen: Generation, name: string): Promise<number> {
    const target = join(this.lab.dir, `restore-${++this.restores}`);
    const r = await haven(['restore', gen.snapshot, '--target', target, '--json'], { env: this.env });
    assert.equal(r.code, 0, `haven restore ${gen.snapshot}: ${r.stderr}`);
    assertSameTree(await describeTree(join(target, name), createPosixOps()), gen.tree, `snapshot ${gen.snapshot}`);
    return gen.tree.size;
  }
}

export interface PoolWorld {
  lab: PoolLab;
  dataDir: string;
  token: string;
  daemon: Daemon;
  api: ApiClient;
  disks: LoopDisk[];
  created: PoolStatus;
  client: HavenClient;
}

/** A lab with a havend, `count` loop disks and a raid1 pool over them (created with the CLI). */
export async function poolWorld(t: TestContext, count: number, env: NodeJS.ProcessEnv = {}): Promise<PoolWorld> {
  const lab = new PoolLab(t);
  const dataDir = dataDirOf(lab);
  const token = createToken(dataDir, 'admin');
  const daemon = await lab.daemon({ dataDir, env: { ...POOL_TEST_ENV, ...env } });
  const api = daemon.client(token);
  const disks = Array.from({ length: count }, (_, i) => lab.disk(String.fromCharCode(97 + i)));
  const created = await createPoolWithCli(api, dataDir, 'raid1', disks);
  return { lab, dataDir, token, daemon, api, disks, created, client: new HavenClient(lab, daemon, token) };
}

/** A two-disk pool world with one snapshot of real files and 8 MiB that do not compress, so a replace has bytes to copy. */
export async function swapWorld(t: TestContext, seed: string): Promise<PoolWorld & { mount: string; gen: Generation }> {
  const w = await poolWorld(t, 2);
  writeRealFiles(join(w.lab.dir, 'src'), 2e6);
  writeFileSync(join(w.lab.dir, 'src', 'random.bin'), seededBytes(8 << 20, seed));
  return { ...w, mount: join(w.dataDir, 'pool'), gen: await w.client.backup('src', 'files') };
}

/** Starts a swap of the member `oldDisk` and confirms it; attaches a new loop disk and waits until the swap offers it. */
export async function swapOntoNewDisk(api: ApiClient, lab: PoolLab, oldDisk: LoopDisk, name: string): Promise<{ id: string; fresh: LoopDisk; newDisk: DiskRecord }> {
  const old = await diskOf(api, oldDisk);
  const { id } = await api.json<SwapInfo>('POST', '/api/v1/swaps', { disk: old.id });
  await swapAction(api, id, 'confirm', { code: codeOf(old) });
  const fresh = lab.disk(name);
  const newDisk = await diskOf(api, fresh);
  await waitFor('the new disk offered', 10_000, async () => {
    const s = await api.json<SwapInfo>('GET', `/api/v1/swaps/${id}`);
    return s.candidates.some((c) => c.diskId === newDisk.id) ? s : null;
  });
  return { id, fresh, newDisk };
}

/** A swap past its rebuild (`trace` at remove-old): scrub and verification found nothing; the old disk pulled, it ends done with the pool healthy over `kept` and the new disk. */
export async function swapCompletes(api: ApiClient, lab: PoolLab, id: string, trace: SwapTrace, disks: { old: LoopDisk; kept: LoopDisk; newDiskId: string }): Promise<void> {
  const results = trace.last.results;
  assert.deepEqual(results.verify?.problems, []);
  const counters = results.scrub?.counters;
  assert.ok(counters, 'the swap scrubbed');
  assert.equal(counters.readErrors + counters.csumErrors + counters.verifyErrors + counters.superErrors + counters.uncorrectableErrors, 0, JSON.stringify(counters));
  lab.detach(disks.old);
  await followSwap(api, id, (s) => s.step === 'done', 60_000, trace);
  const pool = await poolStatus(api);
  assert.equal(pool.health, 'healthy', pool.summary);
  assert.deepEqual(pool.members.map((m) => m.diskId).sort(), [(await diskOf(api, disks.kept)).id, disks.newDiskId].sort());
}

/** The pid of the `btrfs replace start` on `mount` whose parent is `parent`, if one runs. */
export function replaceStarter(mount: string, parent: number): number | null {
  const parentOf = (pid: number): number | null => {
    try {
      // stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return null; // it exited meanwhile
    }
  };
  const found = new KernelState().processes()
    .find(({ pid, argv }) => argv[1] === 'replace' && argv[2] === 'start' && argv.includes(mount) && parentOf(pid) === parent);
  return found?.pid ?? null;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
