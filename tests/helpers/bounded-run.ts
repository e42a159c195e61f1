// Runs a child process within bounds a test can rely on: a deadline after which its whole
// process group is killed (it runs in a group of its own, so GNU time or setpriv in front
// of it die with it), and optionally its peak memory.
//
// Peak RSS is GNU time's %M when /usr/bin/time exists: the kernel's ru_maxrss of the
// process, worker threads included, exact even for a peak just before exit. A watchdog
// also samples /proc every 50 ms: it kills a runaway above a cap (an unbounded client must
// not take the machine down or the test past its budget), and where GNU time is absent its
// highest VmHWM is the measure (a lower bound then: growth after the last sample is missed).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';
const SAMPLE_MS = 50;

export interface BoundedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: Buffer;
  /** The process group is killed after this long. */
  timeoutMs: number;
  /** Measure the peak RSS (and kill above `killAboveRssBytes`). */
  measureRss?: boolean;
  killAboveRssBytes?: number;
}

export interface BoundedResult {
  code: number | null;
  stdout: string;
  /** stdout as bytes (haven dump writes files there). */
  stdoutBytes: Buffer;
  stderr: string;
  elapsedMs: number;
  timedOut: boolean;
  /** Killed by the watchdog for using more than `killAboveRssBytes`. */
  killedForRss: boolean;
  /** Peak resident set size, when measured. */
  peakRssBytes: number | null;
}

/** The process and its descendants (threads' children included), from /proc. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] as number;
    try {
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      if (children !== '') out.push(...children.split(' ').map(Number));
    } catch {
      // the process ended between two reads: it has no children left to count
    }
  }
  return out;
}

function statusKib(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // ended meanwhile
  }
}

/** GNU time's -o file: "Command exited with ..." lines, then the %M value in KiB. */
function gnuTimePeak(file: string): number | null {
  if (!existsSync(file)) return null;
  const last = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
  return /^\d+$/.test(last) ? Number(last) * 1024 : null;
}

export function runBounded(cmd: string, args: string[], o: BoundedOptions): Promise<BoundedResult> {
  const timeFile = o.measureRss && existsSync(GNU_TIME) ? join(tmpdir(), `haven-peak-${process.pid}-${Math.random().toString(36).slice(2)}`) : null;
  const argv = timeFile ? [GNU_TIME, '-f', '%M', '-o', timeFile, cmd, ...args] : [cmd, ...args];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env: o.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const stdoutChunks: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    let killedForRss = false;
    let sampledPeakKib = 0;
    const killGroup = (): void => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    child.stdout.on('data', (b: Buffer) => stdoutChunks.push(b));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdin.on('error', () => undefined); // a child that exits without reading its input
    child.stdin.end(o.input ?? '');
    const deadline = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);
    const watchdog = o.measureRss
      ? setInterval(() => {
        for (const pid of processTree(child.pid as number)) {
          sampledPeakKib = Math.max(sampledPeakKib, statusKib(pid, 'VmHWM'));
          if (o.killAboveRssBytes !== undefined && statusKib(pid, 'VmRSS') * 1024 > o.killAboveRssBytes) {
            killedForRss = true;
            killGroup();
          }
        }
      }, SAMPLE_MS)
      : null;
    child.on('error', (err) => {
      clearTimeout(deadline);
      if (watchdog) clearInterval(watchdog);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(deadline);
      if (watchdog) clearInterval(watchdog);
      let peakRssBytes: number | null = null;
      if (o.measureRss) {
        peakRssBytes = Math.max(timeFile ? (gnuTimePeak(timeFile) ?? 0) : 0, sampledPeakKib * 1024);
        if (timeFile) rmSync(timeFile, { force: true });
      }
      const stdoutBytes = Buffer.concat(stdoutChunks);
      resolve({ code, stdout: stdoutBytes.toString(), stdoutBytes, stderr, elapsedMs: Date.now() - started, timedOut, killedForRss, peakRssBytes });
    });
  });
}
