// A periodic chore owned by an area: runs `tick` every `everyMs` on the area's clock until the
// area stops it. The next wait begins after a tick ends, so a slow tick (a sweep of the state
// database) never overlaps itself. Unlike a bare setInterval, stop() is the only way to end it
// and it also waits for a running tick, so nothing of the area runs after its stop.

import type { Clock } from '../clock.js';

export interface Repeating {
  stop(): Promise<void>;
}

export function repeat(clock: Clock, everyMs: number, tick: () => unknown, onError: (err: unknown) => void): Repeating {
  const abort = new AbortController();
  const loop = (async () => {
    for (;;) {
      try {
        await clock.sleep(everyMs, abort.signal);
      } catch (err) {
        if (abort.signal.aborted) return; // stopped while waiting: the only way a sleep fails
        throw err;
      }
      try {
        await tick();
      } catch (err) {
        onError(err);
      }
      if (abort.signal.aborted) return;
    }
  })();
  return {
    async stop(): Promise<void> {
      abort.abort(new Error('stopped'));
      await loop;
    },
  };
}
