// When `haven backup --watch` takes its snapshots: once changes have settled (no event for
// the debounce time), at the latest maxDelay after the first change not yet in a snapshot
// (a file written without pause must not postpone snapshots forever), one at a time, and
// again after a failure with exponential backoff until one succeeds. A change is "in a
// snapshot" only when a snapshot that STARTED after it committed: the first change not yet
// covered is remembered across failures, so an appliance that was away loses nothing.

import { HavenError, type ErrorCode } from '../../../core/src/errors.js';

export interface WatchTiming {
  debounceMs: number;
  maxDelayMs: number;
  /** First retry delay after a failed snapshot; doubled per failure up to retryMaxMs. */
  retryMs: number;
  retryMaxMs: number;
  /** When some directories are unwatched (the watch limit): a snapshot at least this often. */
  rescanMs: number;
}

export interface WatchActions<Outcome> {
  /** Resolves once the watches are complete (watch-tree scans finished). */
  settled(): Promise<void>;
  snapshot(): Promise<Outcome>;
  /** Whether some changes can escape the watches (then snapshots also come every rescanMs). */
  incomplete(): boolean;
  started(firstChange: number): void;
  saved(outcome: Outcome, firstChange: number, startedAt: number): void;
  failed(err: unknown, retryInMs: number): void;
}

/** Errors that a retry cannot cure: the watcher stops with them (and their exit code). */
const FATAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UNAUTHORIZED', 'FORBIDDEN', 'CLIENT_NOT_CONFIGURED', 'PROFILE_INVALID', 'TLS_FINGERPRINT_MISMATCH', 'TLS_UNTRUSTED',
  'GROUP_INVALID', 'VALIDATION_FAILED',
]);

export class WatchLoop<Outcome> {
  /** The first change no committed snapshot has covered yet (ms), or null. */
  private firstChange: number | null = null;
  private lastChange = 0;
  private lastSnapshot = Date.now();
  private failures = 0;
  private notBefore = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopping = false;
  private fatal: ((err: unknown) => void) | null = null;
  private readonly done: Promise<void>;

  constructor(private readonly timing: WatchTiming, private readonly actions: WatchActions<Outcome>) {
    this.done = new Promise((_resolve, reject) => (this.fatal = reject));
    // an unhandled rejection would end the process before the caller awaits `failure`
    this.done.catch(() => undefined);
  }

  /** Rejects with an error no retry can cure. */
  get failure(): Promise<void> {
    return this.done;
  }

  /** A change (or a possible one) under the sources, now. */
  changed(at = Date.now()): void {
    this.lastChange = at;
    this.firstChange ??= at;
    this.schedule();
  }

  /** Takes no new snapshot and waits for the running one to end (it is finished, not torn). */
  async stop(): Promise<{ pendingSince: number | null }> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    return { pendingSince: this.firstChange };
  }

  private schedule(): void {
    if (this.stopping || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let due: number;
    if (this.firstChange !== null) {
      due = Math.max(this.notBefore, Math.min(this.lastChange + this.timing.debounceMs, this.firstChange + this.timing.maxDelayMs));
    } else if (this.actions.incomplete()) {
      due = Math.max(this.notBefore, this.lastSnapshot + this.timing.rescanMs);
    } else return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - Date.now()));
  }

  private fire(): void {
    this.timer = null;
    if (this.stopping || this.running) return;
    this.running = this.take().finally(() => {
      this.running = null;
      this.schedule();
    });
  }

  private async take(): Promise<void> {
    await this.actions.settled();
    if (this.stopping) return;
    // Changes from here on are after this snapshot's start: they need the next one.
    const covered = this.firstChange ?? Date.now();
    this.firstChange = null;
    const startedAt = Date.now();
    this.actions.started(covered);
    try {
      const outcome = await this.actions.snapshot();
      this.failures = 0;
      this.notBefore = 0;
      this.lastSnapshot = Date.now();
      this.actions.saved(outcome, covered, startedAt);
    } catch (err) {
      // what this snapshot should have covered is still to be covered
      this.firstChange = Math.min(covered, this.firstChange ?? covered);
      // Anything else is retried, also an unexpected error (a worker that lost its connection
      // mid-upload): a service that gives up leaves changes unprotected until someone looks.
      if (err instanceof HavenError && FATAL.has(err.code)) {
        this.stopping = true;
        this.fatal?.(err);
        return;
      }
      const wait = Math.min(this.timing.retryMaxMs, this.timing.retryMs * 2 ** this.failures);
      this.failures++;
      this.notBefore = Date.now() + wait;
      this.actions.failed(err, wait);
    }
  }
}
