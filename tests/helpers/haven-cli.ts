// Runs the real haven CLI (bin/haven) against a test daemon (or the hostile stand-in),
// asynchronously so the test's own event loop (and the daemon's output pipes) keep running
// meanwhile, and always within a deadline (bounded-run.ts).

import type { TestContext } from 'node:test';
import { runBounded, type BoundedResult } from './bounded-run.js';
import { REPO, createToken, startDaemon, type Daemon } from './daemon.js';
import { tempDir } from './tmp.js';

export const HAVEN = `${REPO}bin/haven`;

export type CliResult = BoundedResult;

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: Buffer;
  /** A command that runs the CLI (e.g. setpriv dropping capabilities), before it. */
  prefix?: string[];
  /** The CLI's process group is killed after this long (default 120 s). */
  timeoutMs?: number;
  /** Measure the CLI's peak RSS (bounded-run.ts), killing it above `killAboveRssBytes`. */
  measureRss?: boolean;
  killAboveRssBytes?: number;
}

/** The test runner's own HAVEN_* and HAVEND_* variables never leak into the CLI under test. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEN_') && !k.startsWith('HAVEND_')));
}

export function haven(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const [cmd, ...rest] = [...(options.prefix ?? []), HAVEN, ...args] as [string, ...string[]];
  return runBounded(cmd, rest, {
    env: { ...cleanEnv(), ...options.env }, cwd: options.cwd, input: options.input, timeoutMs: options.timeoutMs ?? 120_000,
    measureRss: options.measureRss, killAboveRssBytes: options.killAboveRssBytes,
  });
}

export interface CliWorld {
  daemon: Daemon;
  token: string;
  dataDir: string;
  /** HAVEN_SERVER, HAVEN_TOKEN, HAVEN_CACHE_DIR and a private config dir. */
  env: NodeJS.ProcessEnv;
  run(args: string[], options?: CliOptions): Promise<CliResult>;
  /** Runs with --json and parses stdout; fails the test on a non-zero exit. */
  json<T>(args: string[], options?: CliOptions): Promise<T>;
}

/** A daemon with an admin token and an environment for the CLI. */
export async function cliWorld(t: TestContext, daemonEnv: NodeJS.ProcessEnv = {}, entry?: string): Promise<CliWorld> {
  const dataDir = tempDir(t);
  const home = tempDir(t, 'haven-home-');
  const token = createToken(dataDir, 'admin');
  const daemon = await startDaemon(t, { dataDir, env: daemonEnv, ...(entry ? { entry } : {}) });
  const env = { HAVEN_SERVER: daemon.url, HAVEN_TOKEN: token, HAVEN_CACHE_DIR: `${home}/cache`, XDG_CONFIG_HOME: `${home}/config`, HOME: home };
  const run = (args: string[], options: CliOptions = {}): Promise<CliResult> => haven(args, { ...options, env: { ...env, ...options.env } });
  return {
    daemon, token, dataDir, env, run,
    json: async <T>(args: string[], options: CliOptions = {}): Promise<T> => {
      const r = await run([...args, '--json'], options);
      if (r.code !== 0) throw new Error(`haven ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
  };
}
