// When and how fast a peer may pull: its time windows (outside every window it waits, follow
// mode too) and its bandwidth limit (one token bucket over all its object streams). Both
// change at once when the peer is edited: a waiting pull looks at the new windows within a
// moment.
//
// The windows are looked at before each snapshot and before each object request; a request
// under way when a window closes runs to its end (at most 4,096 objects per stream). A peer
// the admin paused is held at the same points as outside every window, until resumed.

import type { Transform } from 'node:stream';
import { HavenError } from '../../../core/src/errors.js';
import type { PeerInfo } from '../../../core/src/api/replication.js';
import { isPaused } from './peer-pause.js';
import { RateLimiter } from './rate-limit.js';
import { parseWindows, windowState, type TimeWindow } from './windows.js';

/** Longest sleep while waiting for a window: the clock is looked at again after it. */
const RECHECK_MS = 60_000;

export class PeerGate {
  private windows: TimeWindow[];
  private readonly limiter: RateLimiter;
  private waitingUntil: number | null = null;
  private paused: boolean;
  private closed = false;
  /** Those waiting (the follow loop, a one-shot pull, its streams), woken when the peer is edited. */
  private readonly sleepers = new Set<() => void>();

  constructor(peer: PeerInfo, private readonly now: () => number) {
    this.windows = parseWindows(peer.windows);
    this.limiter = new RateLimiter(peer.rateLimit);
    this.paused = isPaused(peer);
  }

  update(peer: PeerInfo): void {
    this.windows = parseWindows(peer.windows);
    this.paused = isPaused(peer);
    this.limiter.setRate(peer.rateLimit);
    for (const wake of [...this.sleepers]) wake();
  }

  /** When the next window opens, while the peer waits for it (ms); null when it does not wait. */
  get outsideUntil(): number | null {
    return this.waitingUntil;
  }

  /**
   * The peer's puller stops (removed, restarted on a new schedule): whoever waits, and whoever
   * comes, is refused at once (SHUTTING_DOWN), so a pull held by the pause or a window ends
   * instead of holding the stop.
   */
  close(): void {
    this.closed = true;
    for (const wake of [...this.sleepers]) wake();
  }

  /** Resolves inside a window (at once when there are none) of a peer not paused, or when `signal` fires; throws once the gate is closed. */
  async open(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (this.closed) throw new HavenError('SHUTTING_DOWN');
      if (this.paused && !signal.aborted) {
        this.waitingUntil = null;
        await this.sleep(RECHECK_MS, signal);
        continue;
      }
      const now = this.now();
      const state = windowState(this.windows, now);
      if (state.open || signal.aborted) break;
      this.waitingUntil = state.until;
      await this.sleep(Math.min(RECHECK_MS, Math.max(1, (state.until ?? now + RECHECK_MS) - now)), signal);
    }
    this.waitingUntil = null;
  }

  /** Whether the admin paused the peer (a pull under way waits at its next request). */
  get isPaused(): boolean {
    return this.paused;
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** A stream that holds each chunk of an object response until the bandwidth limit lets it pass. */
  throttle(signal?: AbortSignal): Transform {
    return this.limiter.throttle(signal);
  }
}
