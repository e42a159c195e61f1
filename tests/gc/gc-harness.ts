// A real store with real backup sessions and holds, and a way to run one collection on it
// in process with its task log kept (the daemon runs the same function as a task).

import type { TestContext } from 'node:test';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { emptySessionStats } from '../../core/src/api/backup.js';
import type { GcSummary } from '../../core/src/api/gc.js';
import type { SnapshotSummary } from '../../core/src/api/snapshots.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { Sessions } from '../../daemon/src/backup/sessions.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import { EventBus } from '../../daemon/src/events.js';
import { collectGarbage } from '../../daemon/src/gc/collector.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { datastoreOf, type Datastore } from '../../daemon/src/store/datastore.js';
import type { SegmentBackend } from '../../daemon/src/store/segment-backend.js';
import { dirEntry, fileEntry, makeObject, treeOf, type TestObject } from '../helpers/objects.js';
import { appendItem } from '../helpers/store-items.js';
import { tempDir } from '../helpers/tmp.js';


export interface GcHarness extends Datastore {
  store: ChunkStore;
  root: string;
  backups: Sessions;
  /** One collection; its log lines are kept in `log`. */
  gc(config?: Partial<Parameters<typeof collectGarbage>[0]['config']>): Promise<GcSummary>;
  log: string[];
}

/** A store for garbage collection; `backend` puts its sealed segments elsewhere (the S3 tests). */
export async function gcHarness(t: TestContext, segmentMaxBytes = 256 * 1024, backend?: SegmentBackend): Promise<GcHarness> {
  const root = join(tempDir(t), 'ds');
  const store = await ChunkStore.open(root, { create: true, segmentMaxBytes, ...(backend ? { backend } : {}) });
  t.after(() => store.close());
  const ds = datastoreOf(store);
  const sessions = new Sessions(ds, new EventBus((err) => { throw err; }), { idleSeconds: 3600 });
  const log: string[] = [];
  const defaults = loadConfig({ env: {}, flags: { dataDir: tempDir(t) } }).config.gc;
  const gc = (config = {}): Promise<GcSummary> => collectGarbage(
    { store, sessions, holds: ds.holds, config: { ...defaults, rateBytesPerSecond: 0, ...config } },
    { id: 'test', signal: new AbortController().signal, progress: () => undefined, log: (m) => void log.push(m) },
  );
  return { ...ds, store, root, backups: sessions, gc, log };
}

/** A backup's objects: `files` random files of `bytes` each, plus the given shared ones, under one directory. */
export function backupOf(files: number, bytes: number, shared: readonly TestObject[] = []): { objects: TestObject[]; root: TestObject; data: TestObject[] } {
  const data = Array.from({ length: files }, () => makeObject(ObjectKind.data, randomBytes(bytes)));
  const all = [...data, ...shared];
  const sub = treeOf(all.map((c, i) => fileEntry(`file-${i}`, [c])));
  const root = treeOf([dirEntry('dir', sub)]);
  return { objects: [...data, sub, root], root, data };
}

let counter = 0;

/** Uploads objects and commits a snapshot of `root`, as a backup's commit does. */
export async function commitBackup(ds: Datastore & { store: ChunkStore }, group: string, objects: readonly TestObject[], root: TestObject): Promise<SnapshotSummary> {
  await ds.objects.append(objects.map(appendItem));
  await ds.objects.flush();
  const time = Date.now() + counter;
  const iso = new Date(time).toISOString();
  const id = `gc-session-${++counter}`;
  return ds.catalog.commit(
    { group, time, host: 'test', paths: ['/'], tags: [], root: root.digest, session: id, stats: {} },
    { session: { id, group, host: 'test', paths: ['/'], tags: [], state: 'open', started: iso, updated: iso, stats: emptySessionStats() }, completeTrees: [], walkedAt: ds.objects.removalGeneration },
  );
}
