// Shared steps of the pool system tests: a havend with quick disk and pool polling, loop disks
// seen by its inventory, a pool created through `havend pool create`, real files backed up.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ApiClient } from '../../client/src/api/api-client.js';
import type { DiskList, DiskRecord } from '../../core/src/api/disks.js';
import type { AlertInfo, TaskInfo } from '../../core/src/api/jobs.js';
import type { PoolStatus } from '../../core/src/api/pool.js';
import { HAVEND } from './daemon.js';
import type { PoolLab, LoopDisk } from './pool-lab.js';
import { realFiles } from './real-data.js';
import type { SourceFile } from './push-files.js';

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

/** Real files (binaries, libraries, docs) up to `bytes`, as relative paths, in a stable order. */
export function sampleFiles(bytes: number): SourceFile[] {
  return realFiles(bytes, 8 << 20).map((f) => ({ path: f.path.replace(/^\//, ''), content: f.content }));
}

/** A second generation of a file set: more files, and the first file changed in its middle. */
export function nextGeneration(bytes: number): SourceFile[] {
  const files = sampleFiles(bytes);
  const first = files[0];
  if (first) {
    const changed = Buffer.from(first.content);
    changed.fill(0x5a, changed.length >> 1, Math.min(changed.length, (changed.length >> 1) + 4096));
    files[0] = { path: first.path, content: changed };
  }
  return files;
}

export function dataDirOf(lab: PoolLab): string {
  return join(lab.dir, 'data');
}
