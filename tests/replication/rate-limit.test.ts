// The peer's token bucket (daemon/src/replication/rate-limit.ts) on a fixed clock: N bytes
// pass in no less than (N - last chunk) / rate, however many streams share the bucket, and a
// changed rate applies to the charges that follow.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from '../../daemon/src/replication/rate-limit.js';

/** A clock that moves only when the limiter sleeps (timers run for real, time is counted). */
function steppedClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

test('charges pass at the rate: the bytes before the last chunk took at least bytes / rate', async () => {
  const clock = steppedClock();
  const limiter = new RateLimiter(1, clock.now); // 1 MB/s
  const passed: number[] = [];
  // three "streams" charging 100 kB chunks in turn; the clock jumps 50 ms per real timer tick
  const tick = setInterval(() => clock.advance(50), 1);
  try {
    await Promise.all([0, 1, 2].map(async () => {
      for (let i = 0; i < 10; i++) {
        await limiter.take(100_000);
        passed.push(clock.now());
      }
    }));
  } finally {
    clearInterval(tick);
  }
  passed.sort((a, b) => a - b);
  assert.equal(passed.length, 30);
  // 3 MB at 1 MB/s: the 30th chunk may pass once 29 chunks (2.9 MB) were paid for
  assert.ok((passed[29] as number) >= 2900, `the last chunk passed at ${passed[29]} ms`);
  assert.ok((passed[0] as number) < 100, 'the first chunk passes at once (nothing owed yet)');
});

test('unlimited passes at once; a rate set later applies to what follows', async () => {
  const clock = steppedClock();
  const limiter = new RateLimiter(null, clock.now);
  for (let i = 0; i < 100; i++) await limiter.take(1_000_000);
  assert.equal(clock.now(), 0);
  limiter.setRate(2);
  const tick = setInterval(() => clock.advance(100), 1);
  try {
    for (let i = 0; i < 5; i++) await limiter.take(1_000_000);
  } finally {
    clearInterval(tick);
  }
  assert.ok(clock.now() >= 2000, `4 MB owed at 2 MB/s took ${clock.now()} ms`);
  assert.equal(limiter.bytesPerSecond, 2_000_000);
});
