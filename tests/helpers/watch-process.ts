// A real `haven backup --watch ... --json` process for the watch tests: its event lines
// (one JSON document per line) collected as they come, waited for with a deadline, and the
// process stopped (SIGKILL as a last resort) when the test ends.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TestContext } from 'node:test';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { HAVEN, type CliWorld } from './haven-cli.js';
import { seededBytes } from './real-data.js';
import { assertSameTree, describeTree } from './tree-compare.js';

export interface WatchEvent {
  event: string;
  /** When this test process read the line (ms). */
  seenAt: number;
  [field: string]: unknown;
}

export interface SnapshotEvent extends WatchEvent {
  snapshot: { id: string; root: string; stats: Record<string, number> };
  firstChange: number;
  startedAt: number;
  delayMs: number;
  warnings: string[];
}

export interface WatchProcess {
  proc: ChildProcess;
  events: WatchEvent[];
  stderr: () => string;
  /** The first event from index `from` on that matches, within `timeoutMs`. */
  waitFor<E extends WatchEvent = WatchEvent>(match: (e: WatchEvent) => boolean, timeoutMs: number, from?: number): Promise<E>;
  /** The first snapshot that started after `after` (ms), i.e. one that holds every change made before it. */
  snapshotAfter(after: number, timeoutMs: number): Promise<SnapshotEvent>;
  /**
   * Adds a 16 MiB file to `dir` (written in `scratch`, renamed in whole: a long write would be
   * one change at its start and one at its end) and resolves once the snapshot that reads it
   * has started, with the index of the events from then on.
   */
  startLongSnapshot(scratch: string, dir: string, timeoutMs: number): Promise<number>;
  /** Signals the process and resolves with its exit code (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** `prefix`: a command that runs the client, before it (e.g. unshare). */
export function startWatch(t: TestContext, w: CliWorld, args: string[], cwd: string, prefix: string[] = []): WatchProcess {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEN_') && !k.startsWith('HAVEND_')));
  const [cmd, ...rest] = [...prefix, HAVEN, 'backup', '--watch', '--json', ...args] as [string, ...string[]];
  const proc = spawn(cmd, rest, { cwd, env: { ...cleanEnv, ...w.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: WatchEvent[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  let err = '';
  proc.stdout?.on('data', (b: Buffer) => {
    pending += b.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim() !== '')) events.push({ ...(JSON.parse(line) as { event: string }), seenAt: Date.now() });
    for (const wake of waiters) wake();
  });
  proc.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  proc.once('exit', () => {
    for (const wake of waiters) wake();
  });
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });

  const waitFor = <E extends WatchEvent>(match: (e: WatchEvent) => boolean, timeoutMs: number, from = 0): Promise<E> =>
    new Promise<E>((resolve, reject) => {
      const check = (): void => {
        const found = events.slice(from).find(match);
        if (found) finish(() => resolve(found as E));
        else if (proc.exitCode !== null || proc.signalCode !== null) finish(() => reject(new Error(`the watcher exited (${proc.exitCode ?? proc.signalCode}):\n${err}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no matching watch event within ${timeoutMs} ms; events: ${JSON.stringify(events.slice(from))}\n${err}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  return {
    proc, events, stderr: () => err, waitFor,
    snapshotAfter: (after, timeoutMs) => waitFor<SnapshotEvent>((e) => e.event === 'snapshot' && (e as SnapshotEvent).startedAt >= after, timeoutMs),
    startLongSnapshot: async (scratch, dir, timeoutMs) => {
      writeFileSync(join(scratch, 'big.bin'), seededBytes(16 << 20, 'big'));
      renameSync(join(scratch, 'big.bin'), join(dir, 'big.bin'));
      const from = events.length;
      await waitFor((e) => e.event === 'started', timeoutMs, from);
      return from;
    },
    stop: async (signal = 'SIGTERM', timeoutMs = 30_000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const [code] = (await once(proc, 'exit')) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
}

/** Restores snapshot `id` into `target` and asserts that it is exactly the tree `src` now (a source stored by its base name). */
export async function assertSnapshotIsTree(w: CliWorld, id: string, src: string, target: string, what: string): Promise<void> {
  const restored = await w.json<{ warnings: string[] }>(['restore', id, '--target', target]);
  if (restored.warnings.length > 0) throw new Error(`${what}: restore warned: ${restored.warnings.join('; ')}`);
  const posix = createPosixOps();
  assertSameTree(await describeTree(join(target, basename(src)), posix), await describeTree(src, posix), what);
}
