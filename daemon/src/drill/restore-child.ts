// Runs the real `haven restore` as a child process against this appliance, so a drill goes
// through exactly the path a real recovery takes (HTTP, the client's verification of every
// object, its writer threads, metadata). The client is the one shipped beside the daemon
// (bin/haven of the same tree); its configuration comes only from the environment given here.
//
// Time to first byte is measured from the spawn to the first restored file holding data,
// by looking at the target every 25 ms (the client reports nothing until it ends).

import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/haven of this tree, relative to dist/daemon/src/drill/. */
export const HAVEN_CLIENT = fileURLToPath(new URL('../../../../bin/haven', import.meta.url));
const POLL_MS = 25;
const OUTPUT_KEPT = 4096;

export interface RestoreChildOptions {
  server: string;
  token: string;
  fingerprint: string | null;
  snapshot: string;
  target: string;
  /** The client's HOME (its config and cache directories go there, not the appliance user's). */
  home: string;
  includes: readonly string[];
  signal: AbortSignal;
}

export interface RestoreChildResult {
  code: number | null;
  /** The tail of the client's standard error. */
  stderr: string;
  durationMs: number;
  /** null: no restored byte was seen. */
  timeToFirstByteMs: number | null;
}

/** Whether any regular file under `dir` holds data (bounded: a drill's target is small or sampled). */
async function anyData(dir: string, budget = { entries: 10_000 }): Promise<boolean> {
  let names;
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const d of names) {
    if (--budget.entries < 0) return false;
    const p = join(dir, d.name);
    if (d.isFile() && (await stat(p).then((s) => s.size > 0, () => false))) return true;
    if (d.isDirectory() && (await anyData(p, budget))) return true;
  }
  return false;
}

export async function runRestoreChild(o: RestoreChildOptions): Promise<RestoreChildResult> {
  const started = performance.now();
  const args = [HAVEN_CLIENT, 'restore', o.snapshot, '--target', o.target, '--json', ...o.includes.flatMap((p) => ['--include', p])];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HAVEN_SERVER: o.server,
    HAVEN_TOKEN: o.token,
    HOME: o.home,
    XDG_CONFIG_HOME: join(o.home, 'config'),
    ...(o.fingerprint ? { HAVEN_FINGERPRINT: o.fingerprint } : {}),
  };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], signal: o.signal });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-OUTPUT_KEPT);
  });
  let ttfb: number | null = null;
  let ended = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  }).finally(() => {
    ended = true;
  });
  while (!ended && ttfb === null) {
    if (await anyData(o.target)) ttfb = performance.now() - started;
    else await Promise.race([exited, new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  const code = await exited;
  const durationMs = performance.now() - started;
  // A restore faster than one look: its first byte came at the latest when it ended.
  if (ttfb === null && (await anyData(o.target))) ttfb = durationMs;
  return { code, stderr, durationMs: Math.round(durationMs), timeToFirstByteMs: ttfb === null ? null : Math.round(ttfb) };
}
