// The change feed: every snapshot registered or deleted gets the next sequence number, in the
// same transaction as the change itself (snapshot-index.ts), so a reader that has seen
// sequence n has seen every change up to n and nothing that was rolled back. Replication
// reads it from its last cursor instead of diffing catalogues.
//
// The feed lives in the index only. A rebuilt index (or one made before the feed existed)
// starts a new epoch: a rebuild lists each surviving snapshot once, as committed, in segment
// order; an older index starts empty. A reader whose cursor names another epoch is told to
// start over from the catalogue (`reset`).

import type { ChangeFeed, FeedCursor, FeedPage, SnapshotChange } from './store-api.js';
import type { IndexHolder } from './index-write.js';
import type { FeedEntry, ObjectIndex } from './object-index.js';

const DEFAULT_PAGE = 1000;

function lastSeq(index: ObjectIndex): number {
  for (const k of index.feed.getKeys({ reverse: true, limit: 1 })) return k;
  return 0;
}

/** Appends a change with the next sequence number. Must run inside a write transaction. */
export function appendChange(index: ObjectIndex, entry: FeedEntry): void {
  index.feed.putSync(lastSeq(index) + 1, entry);
}

export class IndexChangeFeed implements ChangeFeed {
  constructor(private readonly holder: IndexHolder) {}

  private epoch(index: ObjectIndex): string {
    return String(index.meta.get('feedEpoch'));
  }

  head(): FeedCursor {
    const index = this.holder.index;
    return { epoch: this.epoch(index), seq: lastSeq(index) };
  }

  after(cursor: FeedCursor | null, limit = DEFAULT_PAGE): FeedPage {
    const index = this.holder.index;
    const epoch = this.epoch(index);
    const reset = cursor !== null && cursor.epoch !== epoch;
    const from = cursor === null || reset ? 0 : cursor.seq;
    const changes: SnapshotChange[] = [];
    for (const { key, value } of index.feed.getRange({ start: from + 1, limit })) {
      changes.push({ seq: key, type: value.type, snapshot: value.snapshot, group: value.group, time: new Date(value.time).toISOString() });
    }
    const last = changes[changes.length - 1];
    return { changes, cursor: { epoch, seq: last ? last.seq : from }, reset };
  }
}
