// A peer's bandwidth limit: one token bucket shared by all its object streams, charged with
// the bytes of every response body chunk before it goes on to the verified ingest. A stream
// that must wait stops reading, so TCP's flow control slows the source down too instead of
// the bytes piling up in memory.
//
// The bucket holds nothing in reserve (an idle peer saves up no burst): a chunk passes when
// the bucket is not in debt, and its bytes are the debt the next chunk waits for. So N bytes
// take at least (N - last chunk) / rate seconds, the limit a link is sized by.

import { Transform, type TransformCallback } from 'node:stream';

const MB = 1_000_000;

export class RateLimiter {
  /** Bytes per second; null: unlimited. */
  private rate: number | null;
  private tokens: number;
  private stamp: number;
  /** Charges wait in order (one behind the other), so streams share the rate fairly. */
  private queue: Promise<void> = Promise.resolve();

  constructor(mbPerSecond: number | null, private readonly now: () => number = () => performance.now()) {
    this.rate = mbPerSecond === null ? null : mbPerSecond * MB;
    this.tokens = 0;
    this.stamp = this.now();
  }

  /** Changes the rate (a peer edited); charges waiting under the old rate are recomputed. */
  setRate(mbPerSecond: number | null): void {
    this.refill();
    this.rate = mbPerSecond === null ? null : mbPerSecond * MB;
    if (this.rate === null) this.tokens = 0;
  }

  get bytesPerSecond(): number | null {
    return this.rate;
  }

  private refill(): void {
    const t = this.now();
    if (this.rate !== null) this.tokens = Math.min(0, this.tokens + ((t - this.stamp) / 1000) * this.rate);
    this.stamp = t;
  }

  /** Resolves once `bytes` may pass (at once when unlimited), leaving them as the bucket's debt. */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.wait(bytes, signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async wait(bytes: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.refill();
      if (this.rate === null) return;
      if (this.tokens >= 0) {
        this.tokens -= bytes;
        return;
      }
      // In debt: wait until the bucket is back at zero (at most a second at a time, so a
      // raised rate takes effect soon).
      const ms = Math.min(1000, Math.ceil((-this.tokens / this.rate) * 1000));
      await sleep(ms, signal);
      if (signal?.aborted) return;
    }
  }

  /** A pass-through stream that charges each chunk before passing it on. */
  throttle(signal?: AbortSignal): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        this.take(chunk.length, signal).then(() => done(null, chunk), done);
      },
    });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
