// The one place the store's interfaces (store-api.ts) are built over an open ChunkStore.
// Every implementation reads the store's current index on each call: relocate() swaps it.

import type { ChunkStore } from './chunk-store.js';
import { IndexChangeFeed } from './change-feed.js';
import { IndexHolds } from './holds.js';
import { IndexQuarantine } from './quarantine.js';
import { IndexSessionStore } from './session-store.js';
import { IndexSnapshotCatalog } from './snapshot-catalog.js';
import { decodeLocation } from './object-index.js';
import type { ChangeFeed, Holds, ObjectListing, ObjectStore, Quarantine, SessionStore, SnapshotCatalog, StoreUsage } from './store-api.js';

export interface Datastore {
  objects: ObjectStore;
  catalog: SnapshotCatalog;
  sessions: SessionStore;
  holds: Holds;
  feed: ChangeFeed;
  quarantine: Quarantine;
  listing: ObjectListing;
  usage: StoreUsage;
}

export function datastoreOf(store: ChunkStore): Datastore {
  const catalog = new IndexSnapshotCatalog(store);
  const usage: StoreUsage = {
    get id() {
      return store.identity.id;
    },
    get root() {
      return store.root;
    },
    storedBytes() {
      let stored = 0;
      for (const { value } of store.index.segments.getRange()) stored += value.indexedLength;
      return stored;
    },
    snapshots: () => catalog.count(),
    objectStorage: () => store.backendStatus(),
  };
  const listing: ObjectListing = {
    page(after, limit) {
      const out: ReturnType<ObjectListing['page']> = [];
      // Starts at `after` itself (inclusive), which is skipped.
      for (const { key, value } of store.index.objects.getRange({ start: after === null ? undefined : Buffer.from(after), limit: limit + 1 })) {
        if (after !== null && key.equals(after)) continue;
        if (out.length === limit) break;
        out.push({ digest: Buffer.from(key), kind: decodeLocation(value).kind });
      }
      return out;
    },
    count: () => store.index.objects.getKeysCount(),
  };
  return {
    objects: store,
    listing,
    catalog,
    sessions: new IndexSessionStore(store),
    holds: new IndexHolds(store),
    feed: new IndexChangeFeed(store),
    quarantine: new IndexQuarantine(store),
    usage,
  };
}
