// One scrub, followed to its end: `btrfs scrub start -B` runs in the foreground while its
// progress is polled (`scrub status --raw` has the bytes read so far; btrfs-progs writes its
// first stats a few seconds in). Cancelling (admin, daemon stop, swap cancel) cancels the
// kernel's scrub too. Used by the scheduled/API scrub task and by the swap's scrub step.

import { HavenError } from '../../../core/src/errors.js';
import type { BtrfsOps } from './btrfs-ops.js';
import type { ScrubStatus } from './btrfs-output.js';

export interface ScrubOutcome {
  status: ScrubStatus;
  /** btrfs-progs' own summary lines. */
  output: string;
}

export function describeScrub(s: ScrubStatus): string {
  const c = s.counters;
  const errors = c.readErrors + c.csumErrors + c.verifyErrors + c.superErrors;
  return `${s.status}: ${((c.dataBytesScrubbed + c.treeBytesScrubbed) / 1e6).toFixed(1)} MB read, `
    + `${errors} error(s) found (csum ${c.csumErrors}, read ${c.readErrors}, verify ${c.verifyErrors}), `
    + `${c.correctedErrors} corrected, ${c.uncorrectableErrors} uncorrectable`;
}

export async function runScrub(
  driver: BtrfsOps,
  mountPath: string,
  signal: AbortSignal,
  onProgress: (fraction: number | null, message: string) => void,
  pollMs = 1000,
): Promise<ScrubOutcome> {
  if (signal.aborted) throw signal.reason;
  const onAbort = (): void => void driver.scrubCancel(mountPath).catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  let done = false;
  const run = driver.scrubRun(mountPath).finally(() => (done = true));
  try {
    while (!done) {
      await Promise.race([run.catch(() => undefined), new Promise((r) => setTimeout(r, pollMs))]);
      if (done) break;
      const s = await driver.scrubStatus(mountPath).catch(() => null);
      if (s && s.totalBytes && s.bytesScrubbed !== null) {
        onProgress(s.bytesScrubbed / s.totalBytes, `scrub: ${(s.bytesScrubbed / 1e6).toFixed(0)} of ${(s.totalBytes / 1e6).toFixed(0)} MB read`);
      } else {
        onProgress(null, 'scrub: starting');
      }
    }
    const { code, output } = await run;
    if (signal.aborted) throw signal.reason;
    const status = await driver.scrubStatus(mountPath);
    if (code !== 0 && code !== 3) {
      throw new HavenError('POOL_COMMAND_FAILED', { name: mountPath, detail: `scrub ended with status ${code}: ${output.split('\n').slice(-2).join(' / ')}` });
    }
    return { status, output };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
