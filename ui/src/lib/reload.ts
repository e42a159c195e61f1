// REST data kept current from the live socket: read at once, again whenever an event says it
// changed, and on a timer for what changes by itself (ages, next runs, a lag). Made for
// `$effect(() => reloadOn(...))`: the returned function stops both.

import type { LiveEvent } from '$core/api/live.js';
import type { LiveStore } from './live.svelte.js';

/**
 * `load` made safe to call on every event of a burst: one read at a time, and at most one
 * more after it for whatever arrived meanwhile. A prune of tens of thousands of snapshots
 * sends an event each; a page that read its list once per event asked for it as often.
 */
export function coalesced(load: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    void load().finally(() => {
      running = false;
      if (again) {
        again = false;
        run();
      }
    });
  };
  return run;
}

/** Whether an event says a snapshot of `group` was committed, deleted or (un)protected. */
export function changesSnapshotsOf(group: string): (e: LiveEvent) => boolean {
  return (e) => (e.name === 'snapshot.committed' || e.name === 'snapshot.deleted' || e.name === 'snapshot.changed') && e.data.group === group;
}

/** Calls `reload` for every event `changed` accepts (no first read); the returned function stops it. */
export function reloadWhen(live: LiveStore, reload: () => void, changed: (e: LiveEvent) => boolean): () => void {
  return live.subscribe((e) => {
    if (changed(e)) reload();
  });
}

export function reloadOn(live: LiveStore, load: () => Promise<void>, changed: (e: LiveEvent) => boolean, everyMs?: number): () => void {
  const reload = coalesced(load);
  reload();
  const timer = everyMs === undefined ? null : setInterval(reload, everyMs);
  const unsubscribe = reloadWhen(live, reload, changed);
  return () => {
    if (timer !== null) clearInterval(timer);
    unsubscribe();
  };
}
