// One havend per state directory. The pid file says who runs; offline commands that must
// not race the daemon (rebuild-index) check it too. A pid file left by a killed daemon is
// recognised as stale because that pid no longer runs havend.

import { readFileSync, writeFileSync, unlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { HavenError } from '../../core/src/errors.js';

export function pidFilePath(dataDir: string): string {
  return join(dataDir, 'havend.pid');
}

function isHavend(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('havend');
  } catch {
    return false;
  }
}

/** The pid of a havend running on `dataDir`, or null. */
export function runningDaemon(dataDir: string): number | null {
  const path = pidFilePath(dataDir);
  if (!existsSync(path)) return null;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isHavend(pid) ? pid : null;
}

export function refuseIfRunning(dataDir: string): void {
  const pid = runningDaemon(dataDir);
  if (pid !== null) throw new HavenError('DAEMON_RUNNING', { pid, dir: dataDir });
}

export function claimPidFile(dataDir: string): () => void {
  refuseIfRunning(dataDir);
  const path = pidFilePath(dataDir);
  writeFileSync(path, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
    } catch {
      // already gone
    }
  };
}
