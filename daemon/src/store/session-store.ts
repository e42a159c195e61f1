// Session records in the index, pins in memory. A record survives restarts so a committed
// session stays committed and an open one can continue; pins only matter while a session is
// open in this process (a collector treats them as roots), so they are never written.

import type { IndexHolder } from './index-write.js';
import type { SessionRecord, SessionStore } from './store-api.js';

export class IndexSessionStore implements SessionStore {
  private readonly pinSets = new Map<string, Set<string>>();

  constructor(private readonly holder: IndexHolder) {}

  get(id: string): SessionRecord | undefined {
    return this.holder.index.sessions.get(id);
  }

  save(info: SessionRecord): Promise<void> {
    return this.holder.index.sessions.put(info.id, info).then(
      () => undefined,
      () => undefined,
    );
  }

  pins(id: string): Set<string> {
    let set = this.pinSets.get(id);
    if (!set) {
      set = new Set<string>();
      this.pinSets.set(id, set);
    }
    return set;
  }

  release(id: string): void {
    this.pinSets.delete(id);
  }

  pinned(): Set<string> {
    const all = new Set<string>();
    for (const set of this.pinSets.values()) for (const p of set) all.add(p);
    return all;
  }
}
