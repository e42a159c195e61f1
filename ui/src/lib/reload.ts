// REST data kept current from the live socket: read at once, again whenever an event says it
// changed, and on a timer for what changes by itself (ages, next runs, a lag). Made for
// `$effect(() => reloadOn(...))`: the returned function stops both.

import type { LiveEvent } from '$core/api/live.js';
import type { LiveStore } from './live.svelte.js';

export function reloadOn(live: LiveStore, load: () => Promise<void>, changed: (e: LiveEvent) => boolean, everyMs?: number): () => void {
  void load();
  const timer = everyMs === undefined ? null : setInterval(() => void load(), everyMs);
  const unsubscribe = live.subscribe((e) => {
    if (changed(e)) void load();
  });
  return () => {
    if (timer !== null) clearInterval(timer);
    unsubscribe();
  };
}
