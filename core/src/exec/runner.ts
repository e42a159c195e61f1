// The one place that runs system commands (DESIGN section 7): argument arrays, never a
// shell string; a timeout on every run; a typed result whatever the exit status (smartctl
// and friends report through status bitmasks with useful stdout); a log of what ran.
// Tests and fixture-backed runs substitute another CommandRunner (a replay of captures).

import { spawn } from 'node:child_process';

export interface RunOptions {
  timeoutMs?: number;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Largest stdout kept; more is an error (protects against runaway output). */
  maxOutputBytes?: number;
  /** Aborting it kills the command (SIGKILL): work that a cancel must stop, not wait for. */
  signal?: AbortSignal;
}

export interface RunResult {
  command: string;
  args: readonly string[];
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

export interface ExecLogEntry {
  time: number;
  command: string;
  args: readonly string[];
  code: number | null;
  durationMs: number;
  timedOut: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

export class SystemCommandRunner implements CommandRunner {
  /** The most recent runs, newest last, for diagnostics. */
  readonly log: ExecLogEntry[] = [];

  constructor(private readonly logLimit = 200) {}

  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    return new Promise((resolvePromise) => {
      const child = spawn(command, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: options.env ?? { ...process.env, LC_ALL: 'C' },
        ...(options.signal ? { signal: options.signal, killSignal: 'SIGKILL' as const } : {}),
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let timedOut = false;
      let spawnError: string | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (b: Buffer) => {
        outBytes += b.length;
        if (outBytes > maxOutput) child.kill('SIGKILL');
        else out.push(b);
      });
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        spawnError = e.message;
      });
      child.stdin.on('error', () => {
        // the command may exit without reading its input; its status tells the story
      });
      child.stdin.end(options.input ?? '');
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const result: RunResult = {
          command,
          args,
          code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          durationMs: Date.now() - started,
          timedOut,
        };
        if (spawnError !== undefined) result.spawnError = spawnError;
        this.log.push({ time: started, command, args, code, durationMs: result.durationMs, timedOut });
        if (this.log.length > this.logLimit) this.log.shift();
        resolvePromise(result);
      });
    });
  }
}

/** A one-line description of a failed run for error messages and logs. */
export function describeFailure(r: RunResult): string {
  const cmd = [r.command, ...r.args].join(' ');
  if (r.spawnError) return `${cmd}: ${r.spawnError}`;
  if (r.timedOut) return `${cmd}: timed out after ${r.durationMs} ms`;
  const why = r.stderr.trim().split('\n').slice(-3).join(' / ') || r.stdout.trim().split('\n').slice(-1)[0] || '';
  return `${cmd}: exit ${r.code ?? r.signal}${why ? `: ${why}` : ''}`;
}
