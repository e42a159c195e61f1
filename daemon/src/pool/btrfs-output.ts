// Parsers for btrfs-progs 6.2 text output. Only `filesystem df`, `device stats` and `qgroup
// show` have JSON there, so the pool reads `filesystem show --raw`, `filesystem usage -b`,
// `scrub status [-R] --raw` and `replace status -1` as text (captures of each, from real
// pools on loop devices, are in tests/pool/fixtures/btrfs with the script that made them).
// Parsers never throw: unknown lines are ignored and missing numbers come back as null.

import type { DeviceErrors, ScrubCounters } from '../../../core/src/api/pool.js';

export interface ShownDevice {
  devid: number;
  sizeBytes: number | null;
  usedBytes: number | null;
  /** Null for a missing device (btrfs prints an empty path or `<missing disk>`). */
  path: string | null;
  missing: boolean;
}

export interface FilesystemShow {
  label: string | null;
  uuid: string | null;
  totalDevices: number | null;
  devices: ShownDevice[];
  /** `*** Some devices missing` or a device marked MISSING. */
  someMissing: boolean;
}

const UNITS: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50 };

/** A byte count as btrfs prints it: raw (`536870912`) or human (`512.00MiB`). */
export function parseBytes(s: string | undefined): number | null {
  if (s === undefined) return null;
  const m = /^(\d+(?:\.\d+)?)([KMGTP]iB|B)?$/.exec(s.trim());
  if (!m) return null;
  const n = Number(m[1]) * (UNITS[m[2] ?? 'B'] ?? 1);
  return Number.isFinite(n) ? Math.round(n) : null;
}

export function parseFilesystemShow(text: string): FilesystemShow {
  const out: FilesystemShow = { label: null, uuid: null, totalDevices: null, devices: [], someMissing: false };
  for (const line of text.split('\n')) {
    const head = /^Label:\s+(?:'(.*)'|none)\s+uuid:\s+([0-9a-f-]{36})/.exec(line);
    if (head) {
      out.label = head[1] ?? null;
      out.uuid = head[2] as string;
      continue;
    }
    const total = /^\s+Total devices\s+(\d+)/.exec(line);
    if (total) {
      out.totalDevices = Number(total[1]);
      continue;
    }
    const dev = /^\s+devid\s+(\d+)\s+size\s+(\S+)\s+used\s+(\S+)\s+path\s*(.*)$/.exec(line);
    if (dev) {
      const rest = (dev[4] as string).trim();
      const missing = /\bMISSING$/.test(rest) || rest === '' || rest.startsWith('<missing');
      const path = missing ? null : rest;
      out.devices.push({ devid: Number(dev[1]), sizeBytes: parseBytes(dev[2]), usedBytes: parseBytes(dev[3]), path, missing });
      if (missing) out.someMissing = true;
      continue;
    }
    if (/\*\*\* Some devices missing/.test(line)) out.someMissing = true;
  }
  return out;
}

export interface FilesystemUsage {
  deviceSize: number | null;
  deviceAllocated: number | null;
  deviceMissing: number | null;
  used: number | null;
  freeEstimated: number | null;
  dataRatio: number | null;
  metadataRatio: number | null;
  multipleProfiles: boolean;
  /** Block-group types and their profiles, e.g. {type: 'Data', profile: 'RAID1'}. */
  profiles: Array<{ type: string; profile: string; sizeBytes: number | null; usedBytes: number | null }>;
}

export function parseFilesystemUsage(text: string): FilesystemUsage {
  const field = (name: string): string | undefined => {
    const m = new RegExp(`^\\s*${name}:\\s+(\\S+)`, 'm').exec(text);
    return m?.[1];
  };
  const ratio = (name: string): number | null => {
    const v = Number(field(name));
    return Number.isFinite(v) && field(name) !== undefined ? v : null;
  };
  const profiles: FilesystemUsage['profiles'] = [];
  for (const m of text.matchAll(/^(Data|Metadata|System|Data\+Metadata),(\w+): Size:(\S+), Used:(\S+)/gm)) {
    profiles.push({ type: m[1] as string, profile: m[2] as string, sizeBytes: parseBytes((m[3] as string).replace(/,$/, '')), usedBytes: parseBytes(m[4]) });
  }
  return {
    deviceSize: parseBytes(field('Device size')),
    deviceAllocated: parseBytes(field('Device allocated')),
    deviceMissing: parseBytes(field('Device missing')),
    used: parseBytes(field('Used')),
    freeEstimated: parseBytes(field('Free \\(estimated\\)')),
    dataRatio: ratio('Data ratio'),
    metadataRatio: ratio('Metadata ratio'),
    multipleProfiles: field('Multiple profiles') === 'yes',
    profiles,
  };
}

export interface ScrubStatus {
  /** never, running, finished, aborted, interrupted (what btrfs says; `running` also before the first stats). */
  status: string;
  started: string | null;
  durationSeconds: number | null;
  /** From the plain form: bytes to read (every copy) and read so far. */
  totalBytes: number | null;
  bytesScrubbed: number | null;
  /** From the -R form (zeros when the form or the stats are absent). */
  counters: ScrubCounters;
}

export function emptyScrubCounters(): ScrubCounters {
  return {
    dataBytesScrubbed: 0, treeBytesScrubbed: 0, readErrors: 0, csumErrors: 0, verifyErrors: 0, superErrors: 0,
    correctedErrors: 0, uncorrectableErrors: 0, unverifiedErrors: 0,
  };
}

const COUNTER_KEYS: Record<string, keyof ScrubCounters> = {
  data_bytes_scrubbed: 'dataBytesScrubbed', tree_bytes_scrubbed: 'treeBytesScrubbed', read_errors: 'readErrors',
  csum_errors: 'csumErrors', verify_errors: 'verifyErrors', super_errors: 'superErrors', corrected_errors: 'correctedErrors',
  uncorrectable_errors: 'uncorrectableErrors', unverified_errors: 'unverifiedErrors',
};

/** `scrub status --raw` or `scrub status -R --raw` (either form; the caller may merge both). */
export function parseScrubStatus(text: string): ScrubStatus {
  const counters = emptyScrubCounters();
  for (const m of text.matchAll(/^\s+(\w+): (\d+)$/gm)) {
    const key = COUNTER_KEYS[m[1] as string];
    if (key) counters[key] = Number(m[2]);
  }
  const line = (name: string): string | null => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(text)?.[1]?.trim() ?? null;
  // Before btrfs-progs writes its first stats (a few seconds into a scrub) there is no Status
  // line; only a running scrub shows a time left.
  const status = line('Status') ?? (line('Time left') !== null ? 'running' : 'never');
  const startedText = line('Scrub started');
  const startedMs = startedText ? Date.parse(startedText) : Number.NaN;
  const duration = /^(\d+):(\d\d):(\d\d)$/.exec(line('Duration') ?? '');
  const scrubbed = /^(\d+)/.exec(line('Bytes scrubbed') ?? '');
  return {
    status,
    started: Number.isFinite(startedMs) ? new Date(startedMs).toISOString() : null,
    durationSeconds: duration ? Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]) : null,
    totalBytes: parseBytes(line('Total to scrub') ?? undefined),
    bytesScrubbed: scrubbed ? Number(scrubbed[1]) : null,
    counters,
  };
}

export interface ReplaceStatus {
  state: 'never' | 'running' | 'finished' | 'canceled' | 'suspended' | 'unknown';
  /** 0..1 while running, or where it stopped. */
  fraction: number | null;
  writeErrors: number | null;
  uncorrectableReadErrors: number | null;
  text: string;
}

/** `btrfs replace status -1`: one line. */
export function parseReplaceStatus(text: string): ReplaceStatus {
  const t = text.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  const errs = /(\d+) write errs, (\d+) uncorr\. read errs/.exec(t);
  const base = { writeErrors: errs ? Number(errs[1]) : null, uncorrectableReadErrors: errs ? Number(errs[2]) : null, text: t };
  if (/^Never started/.test(t)) return { state: 'never', fraction: null, ...base };
  const running = /^(\d+(?:\.\d+)?)% done/.exec(t);
  if (running) return { state: 'running', fraction: Number(running[1]) / 100, ...base };
  if (/finished on/.test(t)) return { state: 'finished', fraction: 1, ...base };
  const stopped = /(canceled|suspended) on .* at (\d+(?:\.\d+)?)%/.exec(t);
  if (stopped) return { state: stopped[1] === 'canceled' ? 'canceled' : 'suspended', fraction: Number(stopped[2]) / 100, ...base };
  return { state: 'unknown', fraction: null, ...base };
}

/** sysfs `devinfo/<devid>/error_stats`: `write_errs 0\nread_errs 0\n...`. */
export function parseErrorStats(text: string): DeviceErrors {
  const n = (name: string): number => Number(new RegExp(`${name}_errs\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { write: n('write'), read: n('read'), flush: n('flush'), corruption: n('corruption'), generation: n('generation') };
}

export function totalErrors(e: DeviceErrors): number {
  return e.write + e.read + e.flush + e.corruption + e.generation;
}
