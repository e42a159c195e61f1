// The push protocol's routes (DESIGN section 3).

import type { Readable } from 'node:stream';
import { HavenError } from '../../../../core/src/errors.js';
import type { ChunkerParams, ChunksResponse, CommitRequest, StartBackupRequest, StartBackupResponse } from '../../../../core/src/api/backup.js';
import { MEDIA_BITMAP } from '../../../../core/src/api/backup.js';
import { ObjectKind } from '../../../../core/src/objects/kinds.js';
import type { Catalog } from '../../backup/catalog.js';
import { commitSession } from '../../backup/commit.js';
import { FrameIngest } from '../../backup/frame-ingest.js';
import type { Sessions } from '../../backup/sessions.js';
import type { EventBus } from '../../events.js';
import type { Datastore } from '../../store/datastore.js';
import type { VerifyPool } from '../../workers/verify-pool.js';
import type { Handler } from '../route-types.js';

export interface BackupDeps {
  store: Pick<Datastore, 'objects' | 'catalog'>;
  sessions: Sessions;
  catalog: Catalog;
  pool: VerifyPool;
  bus: EventBus;
  chunker: ChunkerParams;
  limits: { maxFrameBytes: number; maxHasDigests: number; maxStreamsPerSession: number };
  ingest: { syncEveryBytes: number };
  /** Fires when the daemon shuts down: upload streams stop reading and end cleanly. */
  shutdown?: AbortSignal;
}

type IdParams = { id: string };

export function backupRoutes(deps: BackupDeps) {
  const { sessions } = deps;

  const start: Handler = async (req, reply) => {
    const body = req.body as StartBackupRequest;
    const previous = deps.catalog.latest(body.group);
    const s = sessions.start(body, previous?.id ?? null);
    const res: StartBackupResponse = {
      session: s.info.id,
      chunker: deps.chunker,
      previous,
      limits: { maxFrameBytes: deps.limits.maxFrameBytes, maxHasDigests: deps.limits.maxHasDigests, maxStreams: deps.limits.maxStreamsPerSession },
    };
    return reply.code(201).send(res);
  };

  const get: Handler = async (req) => sessions.find((req.params as IdParams).id);

  const has: Handler = async (req, reply) => {
    const s = sessions.open((req.params as IdParams).id);
    const body = req.body as Buffer;
    if (!Buffer.isBuffer(body) || body.length % 32 !== 0 || body.length / 32 > deps.limits.maxHasDigests) {
      throw new HavenError('HAS_BATCH_INVALID', { max: deps.limits.maxHasDigests });
    }
    return reply.type(MEDIA_BITMAP).send(sessions.has(s, body));
  };

  const chunks: Handler = async (req) => {
    const s = sessions.open((req.params as IdParams).id);
    if (s.activeStreams >= deps.limits.maxStreamsPerSession) {
      throw new HavenError('VALIDATION_FAILED', { detail: `at most ${deps.limits.maxStreamsPerSession} parallel streams per session` });
    }
    s.activeStreams++;
    s.info.stats.streams++;
    // Several streams of one session run in parallel: each adds its own deltas.
    const counted = { frames: 0, objectsNew: 0, objectsDuplicate: 0, bytesReceived: 0, bytesNew: 0, rawBytesNew: 0 };
    const account = (t: ChunksResponse, rawBytesNew: number): void => {
      const st = s.info.stats;
      st.framesReceived += t.frames - counted.frames;
      st.objectsNew += t.objectsNew - counted.objectsNew;
      st.objectsDuplicate += t.objectsDuplicate - counted.objectsDuplicate;
      st.bytesReceived += t.bytesReceived - counted.bytesReceived;
      st.bytesNew += t.bytesNew - counted.bytesNew;
      st.rawBytesNew += rawBytesNew - counted.rawBytesNew;
      Object.assign(counted, t, { rawBytesNew });
    };
    const ingest: FrameIngest = new FrameIngest(
      {
        store: deps.store.objects,
        pool: deps.pool,
        onProgress: (t) => {
          account(t, ingest.rawBytesNew);
          sessions.touch(s);
        },
        onStored: (h) => {
          if (h.kind === ObjectKind.tree) s.precheck.add(h.digest);
        },
      },
      { maxFrameBytes: deps.limits.maxFrameBytes, ...deps.ingest },
    );
    try {
      return await ingest.run(req.body as Readable, deps.shutdown);
    } finally {
      // Final totals count what was kept, whatever happened to the stream.
      account(ingest.totals, ingest.rawBytesNew);
      s.activeStreams--;
      sessions.touch(s, true);
      sessions.persist(s);
    }
  };

  const commit: Handler = async (req) => {
    const s = sessions.open((req.params as IdParams).id);
    return commitSession({ store: deps.store, sessions, bus: deps.bus }, s, req.body as CommitRequest);
  };

  const abort: Handler = async (req) => sessions.abort((req.params as IdParams).id, 'aborted by client');

  /** The group a session belongs to, for the route table's auth policy. */
  const sessionGroup = (id: string): string => sessions.find(id).group;

  return { start, get, has, chunks, commit, abort, sessionGroup };
}
