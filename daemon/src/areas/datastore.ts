// The datastore and the worker threads that verify what is written to it. The datastore opens
// after the pool is mounted (it may live on the pool) and closes after everything that reads
// or writes it has stopped.

import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ChunkStore } from '../store/chunk-store.js';
import { s3BackendOptions } from '../store/s3/s3-config.js';
import { datastoreOf } from '../store/datastore.js';
import { daemonSegmentFileSystem } from '../store/segment-io.js';
import { createVerifyPool } from '../workers/verify-pool.js';

export interface DatastoreAreaDeps {
  path: string;
  config: Config['datastore'];
  log: Pick<Logger, 'warn' | 'info'>;
}

/** Opens the datastore (recovering a torn tail) and closes it at stop. */
export async function datastoreArea(deps: DatastoreAreaDeps) {
  const s3 = s3BackendOptions(deps.config);
  // The S3 backend and the AWS SDK under it load only for a bucket datastore (~0.4 s of CPU at
  // every start otherwise).
  const backend = s3 ? await (await import('../store/s3/s3-segment-backend.js')).S3SegmentBackend.open(s3, deps.log) : undefined;
  const store = await ChunkStore.open(deps.path, {
    create: true, segmentMaxBytes: deps.config.segmentMaxBytes, directIo: deps.config.directIo, segmentFs: daemonSegmentFileSystem(), ...(backend ? { backend } : {}),
  });
  const r = store.recovery;
  if (r.recoveredRecords > 0 || r.truncatedBytes > 0 || r.notes.length > 0) {
    deps.log.warn({ recovery: r }, `recovered ${r.recoveredRecords} record(s), cut ${r.truncatedBytes} torn byte(s)`);
  }
  return {
    name: 'datastore',
    store,
    /** The S3 backend's state (upload queue, cache), or undefined on a plain directory. */
    segmentBackend: backend,
    /** What every other area uses of the store: its interfaces, never its tables. */
    datastore: datastoreOf(store),
    start(): void {},
    stop: () => store.close(),
  };
}

/** The piscina threads that verify uploaded objects before they are stored. */
export function verifyWorkersArea(config: Config['workers']) {
  const pool = createVerifyPool({ threads: config.verifyThreads, arenaBytes: config.batchBytes });
  return {
    name: 'verify-workers',
    pool,
    start(): void {},
    stop: () => pool.close(),
  };
}
