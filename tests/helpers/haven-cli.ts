// Runs the real haven CLI (bin/haven) against a test daemon, asynchronously so the test's
// own event loop (and the daemon's output pipes) keep running meanwhile.

import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { REPO, createToken, startDaemon, type Daemon } from './daemon.js';
import { tempDir } from './tmp.js';

export const HAVEN = `${REPO}bin/haven`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: Buffer;
  /** A command that runs the CLI (e.g. setpriv dropping capabilities), before it. */
  prefix?: string[];
}

/** The test runner's own HAVEN_* and HAVEND_* variables never leak into the CLI under test. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEN_') && !k.startsWith('HAVEND_')));
}

export function haven(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...rest] = [...(options.prefix ?? []), HAVEN, ...args] as [string, ...string[]];
    const child = spawn(cmd, rest, { env: { ...cleanEnv(), ...options.env }, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
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
export async function cliWorld(t: TestContext, daemonEnv: NodeJS.ProcessEnv = {}): Promise<CliWorld> {
  const dataDir = tempDir(t);
  const home = tempDir(t, 'haven-home-');
  const token = createToken(dataDir, 'admin');
  const daemon = await startDaemon(t, { dataDir, env: daemonEnv });
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
