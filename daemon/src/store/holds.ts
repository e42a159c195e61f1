// Holds: an area (replication, a restore drill) says "keep this snapshot / object" under its
// own name, and a collector or prune asks before removing anything. Kept in the index, so
// they survive restarts. They are not in the segments, so a rebuilt index has none: the
// areas that hold things register them again when they next run (a rebuild is an offline
// repair, after which replication and drills start over from their own state anyway).

import { HavenError } from '../../../core/src/errors.js';
import { writeIndex, type IndexHolder } from './index-write.js';
import type { HoldEntry, HoldKind } from './object-index.js';
import type { Hold, Holds } from './store-api.js';

const HEX_DIGEST = /^[0-9a-f]{64}$/;

function hold([owner, kind, target]: [string, HoldKind, string], e: HoldEntry): Hold {
  return { owner, kind, target, reason: e.reason, since: new Date(e.since).toISOString() };
}

export class IndexHolds implements Holds {
  constructor(private readonly holder: IndexHolder, private readonly now: () => number = Date.now) {}

  async add(h: Omit<Hold, 'since'>): Promise<void> {
    if (h.owner === '' || !HEX_DIGEST.test(h.target)) {
      throw new HavenError('VALIDATION_FAILED', { detail: 'a hold needs an owner and a hex digest' });
    }
    const index = this.holder.index;
    await writeIndex(index, () => index.holds.putSync([h.owner, h.kind, h.target], { reason: h.reason, since: this.now() }));
  }

  release(owner: string, kind: HoldKind, target: string): Promise<boolean> {
    const index = this.holder.index;
    return writeIndex(index, () => index.holds.removeSync([owner, kind, target]));
  }

  list(owner?: string): Hold[] {
    const out: Hold[] = [];
    // [owner] sorts before every [owner, kind, target]: an owner's holds are one key range.
    for (const { key, value } of this.holder.index.holds.getRange(owner === undefined ? {} : { start: [owner] })) {
      if (owner !== undefined && key[0] !== owner) break;
      out.push(hold(key, value));
    }
    return out;
  }

  on(kind: HoldKind, target: string): Hold[] {
    // Few holds exist (one per replicated snapshot at most), so a scan is fine.
    return this.list().filter((h) => h.kind === kind && h.target === target);
  }
}
