// A process's figures from /proc while something runs: memory sampled from /proc/<pid>/status
// and CPU seconds from /proc/<pid>/stat. RssAnon is the figure the GC goal is about: the
// daemon's own heap and buffers, not the LMDB pages it has mapped (those are RssFile, and the
// kernel can drop them at any time). CPU seconds hold on a loaded machine, where wall time
// stretches with everyone else's work.

import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ: /proc reports utime and stime in these on Linux

/** User + system CPU seconds of the process (all its threads) so far. */
export function readCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

export interface MemorySample {
  rssAnonKiB: number;
  rssFileKiB: number;
  vmHwmKiB: number;
}

export interface MemoryPeaks {
  /** Largest RssAnon seen, and RssFile at that moment. */
  peakAnonKiB: number;
  fileAtPeakKiB: number;
  /** Kernel's own peak of the whole RSS (anon + file + shmem) since the process started. */
  vmHwmKiB: number;
  startAnonKiB: number;
  samples: number;
}

function field(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

export function readMemory(pid: number): MemorySample | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssAnonKiB: field(s, 'RssAnon'), rssFileKiB: field(s, 'RssFile'), vmHwmKiB: field(s, 'VmHWM') };
  } catch {
    return null; // the process has gone
  }
}

/** Starts sampling every `intervalMs`; stop() returns the peaks seen. */
export function sampleMemory(pid: number, intervalMs = 50): { stop: () => MemoryPeaks } {
  const first = readMemory(pid);
  const peaks: MemoryPeaks = {
    peakAnonKiB: first?.rssAnonKiB ?? 0, fileAtPeakKiB: first?.rssFileKiB ?? 0, vmHwmKiB: first?.vmHwmKiB ?? 0,
    startAnonKiB: first?.rssAnonKiB ?? 0, samples: first ? 1 : 0,
  };
  const take = (): void => {
    const m = readMemory(pid);
    if (!m) return;
    peaks.samples++;
    peaks.vmHwmKiB = Math.max(peaks.vmHwmKiB, m.vmHwmKiB);
    if (m.rssAnonKiB > peaks.peakAnonKiB) {
      peaks.peakAnonKiB = m.rssAnonKiB;
      peaks.fileAtPeakKiB = m.rssFileKiB;
    }
  };
  const timer = setInterval(take, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return peaks;
    },
  };
}
