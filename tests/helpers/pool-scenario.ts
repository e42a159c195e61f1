// Shared steps of the pool system tests: a havend with quick disk and pool polling, loop disks
// seen by its inventory, a pool created through `havend pool create`, real files backed up
// and restored with the `haven` CLI and compared entry by entry with what was backed up.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import type { ApiClient } from '../../client/src/api/api-client.js';
import type { DiskList, DiskRecord } from '../../core/src/api/disks.js';
import type { AlertInfo, TaskInfo } from '../../core/src/api/jobs.js';
import type { PoolStatus } from '../../core/src/api/pool.js';
import { HAVEND, type Daemon } from './daemon.js';
import { haven } from './haven-cli.js';
import type { PoolLab, LoopDisk } from './pool-lab.js';
import { realFiles } from './real-data.js';
import { describeTree, type Described } from './tree-compare.js';

/** Fast polling so a test sees disks and pool changes within a second or two. */
export const POOL_TEST_ENV: NodeJS.ProcessEnv = {
  HAVEND_DISKS_HOTPLUG_POLL_MS: '300',
  HAVEND_POOL_CHECK_SECONDS: '1',
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
    const after = await describeTree(join(target, name), createPosixOps());
    assert.deepEqual([...after.keys()], [...gen.tree.keys()], `snapshot ${gen.snapshot}: the same entries`);
    for (const [path, before] of gen.tree) {
      const { blocks: _a, ...a } = after.get(path) as Described;
      const { blocks: _b, ...b } = before;
      assert.deepEqual(a, b, `snapshot ${gen.snapshot}: ${path} restores exactly`);
    }
    return gen.tree.size;
  }
}
