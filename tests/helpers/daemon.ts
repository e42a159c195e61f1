// A real havend for integration tests: its own process on 127.0.0.1 port 0, a temp state
// directory, stopped (and killed if need be) when the test ends.

import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { ApiClient } from '../../client/src/api/api-client.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const HAVEND = `${REPO}bin/havend`;

export interface DaemonOptions {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  configFile?: string;
  /**
   * HOST:PORT to listen on; default 127.0.0.1:0 (plain HTTP). A wildcard (0.0.0.0:0) serves
   * HTTPS; the test still connects over loopback only (the URL names 127.0.0.1).
   */
  listen?: string;
  /** A test entry point to run with node instead of bin/havend (tests/faults/havend-faulty.ts). */
  entry?: string;
  /** How long it may take to serve (default 60 s); the unit allows 5 minutes (TimeoutStartSec). */
  startTimeoutMs?: number;
}

export interface Daemon {
  url: string;
  /** The TLS certificate's fingerprint when serving HTTPS. */
  fingerprint: string | null;
  proc: ChildProcess;
  output: () => string;
  /** A client of this daemon; over HTTPS it pins the daemon's fingerprint unless told otherwise. */
  client(token: string, fingerprint?: string | null): ApiClient;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function havend(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(HAVEND, args, { env: { ...cleanEnv(), ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The test runner's own HAVEND_* variables must not leak into the daemon under test. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEND_')));
}

export function createToken(dataDir: string, scope: string, name?: string): string {
  const r = havend(['token', 'create', '--data', dataDir, '--scope', scope, ...(name ? ['--name', name] : [])]);
  if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * The maintenance schedules and the report summary are off unless a test sets them: a GC, verification or drill that
 * fires at a wall-clock minute in the middle of a test would make its outcome depend on when
 * the suite runs. (A test with a config file gets the file's settings untouched.)
 */
const QUIET_SCHEDULES: NodeJS.ProcessEnv = { HAVEND_GC_CRON: '', HAVEND_VERIFY_CRON: '', HAVEND_DRILL_CRON: '', HAVEND_RETENTION_PRUNE_CRON: '', HAVEND_REPORTS_SUMMARY_CRON: '' };


export async function startDaemon(t: TestContext | null, options: DaemonOptions): Promise<Daemon> {
  const args = ['serve', '--data', options.dataDir, '--listen', options.listen ?? '127.0.0.1:0'];
  if (options.configFile) args.push('--config', options.configFile);
  // HAVEN_DAEMON_NODE_ARGS (benchmarks): node flags for the daemon, e.g. "--cpu-prof --cpu-prof-dir=DIR".
  const nodeArgs = (process.env.HAVEN_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const entry = options.entry ?? HAVEND;
  const viaNode = nodeArgs.length > 0 || options.entry !== undefined;
  const proc = spawn(viaNode ? process.execPath : HAVEND, viaNode ? [...nodeArgs, entry, ...args] : args, {
    env: { ...cleanEnv(), HAVEND_LOG_LEVEL: 'warn', ...(options.configFile ? {} : QUIET_SCHEDULES), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const clients: ApiClient[] = [];
  const started = await new Promise<{ url: string; fingerprint: string | null }>((resolve, reject) => {
    // Generous: a havend starts in about a second, but on a 2-core machine shared by several suites it has taken over 20 s.
    const limit = options.startTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL'); // a daemon that starts later would keep the test process alive
      reject(new Error(`havend did not start within ${limit / 1000} s:\n${out}`));
    }, limit);
    const onData = (): void => {
      const m = /serving on (https?):\/\/(127\.0\.0\.1|0\.0\.0\.0|\[::\]):(\d+)/.exec(out);
      const fp = /fingerprint \(SHA-256\): ([0-9a-f:]{95})/.exec(out);
      if (m && (m[1] === 'http' || fp)) {
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        resolve({ url: `${m[1]}://127.0.0.1:${m[3]}`, fingerprint: fp ? (fp[1] as string) : null });
      }
    };
    proc.stdout.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`havend exited with ${code} before serving:\n${out}`));
    });
  });
  const { url, fingerprint } = started;
  const daemon: Daemon = {
    url,
    fingerprint,
    proc,
    output: () => out,
    client: (token, pin = fingerprint) => {
      const c = new ApiClient({ server: url, token, ...(pin ? { fingerprint: pin } : {}) });
      clients.push(c);
      return c;
    },
    stop: async (signal = 'SIGTERM') => {
      for (const c of clients.splice(0)) c.close();
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const [code] = (await once(proc, 'exit')) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
  t?.after(() => daemon.stop());
  return daemon;
}

/** The one-time code a fresh daemon prints for creating its first admin. */
export function setupCodeOf(daemonOutput: string): string {
  const code = /havend setup code: (\S+)/.exec(daemonOutput)?.[1];
  assert.ok(code, 'the daemon printed a setup code');
  return code;
}
