// A real store opened in a temp directory with its interfaces (store/datastore.ts), and a
// way to commit a small snapshot through the catalogue as a backup's commit does.

import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { emptySessionStats, type SessionInfo } from '../../core/src/api/backup.js';
import type { SnapshotSummary } from '../../core/src/api/snapshots.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { datastoreOf, type Datastore } from '../../daemon/src/store/datastore.js';
import { payloadCrc } from '../../daemon/src/store/record-format.js';
import { sampleBackup } from './objects.js';
import { tempDir } from './tmp.js';

export interface OpenDatastore extends Datastore {
  store: ChunkStore;
  root: string;
}

export async function openDatastore(root: string): Promise<OpenDatastore> {
  const store = await ChunkStore.open(root, { create: true, segmentMaxBytes: 1 << 20 });
  return { ...datastoreOf(store), store, root };
}

/** A fresh datastore, closed after the test (closing twice is harmless). */
export async function tempDatastore(t: TestContext): Promise<OpenDatastore> {
  const ds = await openDatastore(join(tempDir(t), 'ds'));
  t.after(() => ds.store.close());
  return ds;
}

let sessionCounter = 0;

/** Uploads a small backup and commits it as a snapshot of `group` at `time`. */
export async function commitSample(ds: Datastore, group: string, time: number): Promise<{ summary: SnapshotSummary; session: SessionInfo }> {
  const b = sampleBackup(3, 2000);
  await ds.objects.append(b.objects.map((o) => ({
    header: { kind: o.kind, codec: o.codec, rawLength: o.raw.length, storedLength: o.stored.length, digest: o.digest },
    payloadCrc: payloadCrc(o.stored),
    payload: o.stored,
  })));
  await ds.objects.flush();
  const iso = new Date(time).toISOString();
  const session: SessionInfo = {
    id: `session-${++sessionCounter}-${time}`, group, host: 'test', paths: ['/'], tags: [], state: 'open',
    started: iso, updated: iso, stats: emptySessionStats(),
  };
  const summary = await ds.catalog.commit(
    { group, time, host: 'test', paths: ['/'], tags: [], root: b.root.digest, session: session.id, stats: { files: 3 } },
    { session, completeTrees: [], walkedAt: ds.objects.removalGeneration },
  );
  return { summary, session };
}
