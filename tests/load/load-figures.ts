// The figures the load test prints: `has` latency quantiles from the daemon's histogram, the
// daemon's peak memory from /proc, and a percentile helper.

import { readFileSync } from 'node:fs';
import { readAll, type ApiClient } from '../../client/src/api/api-client.js';

export interface HasLatency {
  count: number;
  /** Upper bounds (ms) of the buckets holding each quantile and the slowest answer. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  meanMs: number;
}

/** Reads haven_ingest_has_duration_seconds from GET /metrics (a quantile is its bucket's upper bound). */
export async function hasLatency(api: ApiClient): Promise<HasLatency> {
  const text = (await readAll(await api.request('GET', '/metrics'))).toString('utf8');
  const buckets: Array<{ le: number; n: number }> = [];
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    const b = /^haven_ingest_has_duration_seconds_bucket\{le="([^"]+)"\} (\S+)$/.exec(line);
    if (b) buckets.push({ le: b[1] === '+Inf' ? Infinity : Number(b[1]), n: Number(b[2]) });
    const s = /^haven_ingest_has_duration_seconds_(sum|count) (\S+)$/.exec(line);
    if (s?.[1] === 'sum') sum = Number(s[2]);
    if (s?.[1] === 'count') count = Number(s[2]);
  }
  const at = (q: number): number => (buckets.find((b) => b.n >= q * count)?.le ?? Infinity) * 1000;
  const max = (buckets.find((b) => b.n === count)?.le ?? Infinity) * 1000;
  return { count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max, meanMs: count > 0 ? (sum / count) * 1000 : 0 };
}

function statusKib(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Samples a process's anonymous memory every `everyMs`; `peak()` adds the kernel's high-water mark. */
export function memorySampler(pid: number, everyMs = 500): { stop(): void; peak(): { hwmMiB: number; anonMiB: number } } {
  let anonKib = 0;
  let hwmKib = 0;
  const sample = (): void => {
    try {
      anonKib = Math.max(anonKib, statusKib(pid, 'RssAnon'));
      hwmKib = Math.max(hwmKib, statusKib(pid, 'VmHWM'));
    } catch {
      // the process ended: its last samples stand
    }
  };
  const timer = setInterval(sample, everyMs);
  timer.unref(); // a failed test must not be kept alive by its sampler
  return {
    stop: () => clearInterval(timer),
    peak: () => {
      sample();
      return { hwmMiB: hwmKib / 1024, anonMiB: anonKib / 1024 };
    },
  };
}

export function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
