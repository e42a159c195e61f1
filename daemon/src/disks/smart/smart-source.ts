// Where SMART readings come from: smartctl through the exec seam, or (fixture-backed runs)
// a directory of captures. A failure of any kind is a reading with a reason, never a throw:
// the disk then shows "no SMART data: <reason>", never `passed`.

import type { DiskRecord } from '../../../../core/src/api/disks.js';
import type { SmartRecord } from '../../../../core/src/api/smart.js';
import { HavenError } from '../../../../core/src/errors.js';
import type { CommandRunner, RunResult } from '../../../../core/src/exec/runner.js';
import { parseNvmeSelfTestText } from './nvme-selftest-text.js';
import { parseSmartctlJson } from './smart-parser.js';

export type SmartReading =
  | { kind: 'record'; record: SmartRecord }
  /** `-n standby`: the disk sleeps and was left asleep. */
  | { kind: 'asleep' }
  | { kind: 'failed'; reason: string };

export type SelfTestKind = 'short' | 'long';

export interface SmartSource {
  read(disk: DiskRecord, options: { wake: boolean }): Promise<SmartReading>;
  /** Starts a self-test; resolves with the drive's estimate in minutes, or a reason it cannot. */
  startSelfTest(disk: DiskRecord, kind: SelfTestKind): Promise<{ ok: true; minutes: number | null } | { ok: false; reason: string }>;
}

/** Parses smartctl's stdout into a reading (shared by the live and the replay source). */
export function readingFromOutput(stdout: string, origin: string): SmartReading {
  if (stdout.trim() === '') return { kind: 'failed', reason: `${origin} printed nothing` };
  try {
    const parsed = parseSmartctlJson(stdout);
    if (parsed.kind === 'scan') return { kind: 'failed', reason: `${origin} is a device scan, not a device capture` };
    const r = parsed.record;
    if (r.exitStatus !== null && (r.exitStatus & 2) !== 0 && r.messages.some((m) => /standby|sleep|idle mode/i.test(m))) return { kind: 'asleep' };
    return { kind: 'record', record: r };
  } catch (err) {
    return { kind: 'failed', reason: `${origin} gave no usable JSON (${err instanceof HavenError ? err.message : String(err)})` };
  }
}

function notSmartCapable(disk: DiskRecord): string | null {
  if (!disk.present || !disk.devicePath) return 'the disk is missing';
  if (disk.backingFile) return `loop device backed by the file ${disk.backingFile} has no SMART`;
  return null;
}

export class SmartctlSource implements SmartSource {
  /** `-d` types found to work, by disk id ('' when `-d sat` was tried and did not help). */
  private readonly types = new Map<string, string>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
    /** The smartctl executable (a path in tests that exercise timeouts with a stand-in). */
    private readonly command = 'smartctl',
  ) {}

  async read(disk: DiskRecord, options: { wake: boolean }): Promise<SmartReading> {
    const why = notSmartCapable(disk);
    if (why) return { kind: 'failed', reason: why };
    let reading = await this.readWith(disk, options, this.types.get(disk.id) || null);
    // USB bridges smartctl does not know need `-d sat` (most are SAT); remember what worked.
    if (reading.kind === 'record' && !reading.record.hasData && !this.types.has(disk.id)
      && reading.record.messages.some((m) => /unknown usb bridge|unable to detect device type|specify device type/i.test(m))) {
      const retry = await this.readWith(disk, options, 'sat');
      const works = retry.kind === 'record' && retry.record.hasData;
      this.types.set(disk.id, works ? 'sat' : ''); // '' = tried: auto-detection it is
      if (works) reading = retry;
    }
    if (reading.kind === 'record' && reading.record.deviceClass === 'nvme' && reading.record.selfTests === null) {
      // smartctl 7.3 has no JSON self-test log for NVMe: read its text output instead.
      const text = await this.runner.run(this.command, ['-l', 'selftest', disk.devicePath as string], { timeoutMs: this.timeoutMs });
      const log = runFailure(text, this.timeoutMs) === null ? parseNvmeSelfTestText(text.stdout) : null;
      if (log) {
        reading.record.selfTests = log.entries;
        reading.record.selfTestNote = log.inProgress;
      } else {
        reading.record.selfTestNote = 'self-test results unavailable: this smartctl has neither a JSON nor a readable text NVMe self-test log';
      }
    }
    return reading;
  }

  private async readWith(disk: DiskRecord, options: { wake: boolean }, type: string | null): Promise<SmartReading> {
    const args = ['-x', '--json', ...(options.wake ? [] : ['-n', 'standby']), ...(type ? ['-d', type] : []), disk.devicePath as string];
    const r = await this.runner.run(this.command, args, { timeoutMs: this.timeoutMs });
    const failure = runFailure(r, this.timeoutMs);
    return failure ? { kind: 'failed', reason: failure } : readingFromOutput(r.stdout, 'smartctl');
  }

  async startSelfTest(disk: DiskRecord, kind: SelfTestKind): Promise<{ ok: true; minutes: number | null } | { ok: false; reason: string }> {
    const why = notSmartCapable(disk);
    if (why) return { ok: false, reason: why };
    const type = this.types.get(disk.id) || null;
    const r = await this.runner.run(this.command, ['--json', '-t', kind, ...(type ? ['-d', type] : []), disk.devicePath as string], { timeoutMs: this.timeoutMs });
    const failure = runFailure(r, this.timeoutMs);
    if (failure) return { ok: false, reason: failure };
    const reading = readingFromOutput(r.stdout, 'smartctl -t');
    if (r.code !== null && (r.code & 0b111) !== 0) {
      const msg = reading.kind === 'record' ? reading.record.messages.join('; ') : '';
      return { ok: false, reason: `smartctl -t ${kind} failed (exit ${r.code})${msg ? `: ${msg}` : ''}` };
    }
    // The drive's estimate: ATA polling_minutes in the JSON, else smartctl's "after N minutes" text.
    const key = kind === 'short' ? 'short' : 'extended';
    const m = new RegExp(`"polling_minutes":\\s*\\{[^}]*"${key}":\\s*(\\d+)`).exec(r.stdout) ?? /(\d+)\s+minutes?/.exec(r.stdout);
    return { ok: true, minutes: m ? Number(m[1]) : null };
  }
}

/** Why a run gave no output worth parsing, or null when stdout should be parsed. */
function runFailure(r: RunResult, timeoutMs: number): string | null {
  if (r.spawnError) return `smartctl could not run: ${r.spawnError}`;
  if (r.timedOut) return `smartctl timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (r.code === null) return `smartctl was killed (${r.signal ?? 'signal'})`;
  // Bit 0: the command line did not parse; stdout holds no device data then.
  if ((r.code & 1) !== 0 && r.stdout.trim() === '') return `smartctl refused its command line: ${r.stderr.trim() || `exit ${r.code}`}`;
  return null;
}
