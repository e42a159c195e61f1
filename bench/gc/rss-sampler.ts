// Samples a process's memory from /proc/<pid>/status while something runs. RssAnon is the
// figure the GC goal is about: the daemon's own heap and buffers, not the LMDB pages it has
// mapped (those are RssFile, and the kernel can drop them at any time).

import { readFileSync } from 'node:fs';

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
