// The push protocol's routes (DESIGN section 3).

import { Readable } from 'node:stream';
import { HavenError } from '../../../../core/src/errors.js';
import type { ChunkerParams, ChunksResponse, CommitRequest, SessionParams, StartBackupRequest, StartBackupResponse } from '../../../../core/src/api/backup.js';
import { MEDIA_BITMAP, MEDIA_FRAMES, SNAPSHOT_WARNINGS_KEPT } from '../../../../core/src/api/backup.js';
import { ObjectKind } from '../../../../core/src/objects/kinds.js';
import { digestKey } from '../../../../core/src/objects/digest.js';
import type { Catalog } from '../../backup/catalog.js';
import { commitSession } from '../../backup/commit.js';
import { FrameIngest } from '../../backup/frame-ingest.js';
import type { Sessions } from '../../backup/sessions.js';
import type { EventBus } from '../../events.js';
import type { Datastore } from '../../store/datastore.js';
import type { UploadSpace } from '../../store/space-reserve.js';
import type { VerifyPool } from '../../workers/verify-pool.js';
import type { Handler } from '../route-types.js';

export interface BackupDeps {
  store: Pick<Datastore, 'objects' | 'catalog' | 'quarantine'>;
  sessions: Sessions;
  catalog: Catalog;
  pool: VerifyPool;
  /** The datastore's free-space reserve: refuses upload streams' new objects below it. */
  space: UploadSpace;
  bus: EventBus;
  chunker: ChunkerParams;
  limits: { maxFrameBytes: number; maxHasDigests: number; maxStreamsPerSession: number; frameTimeoutMs?: number };
  ingest: { syncEveryBytes: number };
  /** Fires when the daemon shuts down: upload streams stop reading and end cleanly. */
  shutdown?: AbortSignal;
}

type BySession = { params: typeof SessionParams };

export function backupRoutes(deps: BackupDeps) {
  const { sessions } = deps;

  // Starting a session is not refused below the free-space reserve: a backup whose objects
  // are all stored already (nothing changed since the last run) needs no space beyond its
  // commit record, which the reserve exists to allow. A backup that does need space is
  // refused (STORAGE_FULL) at its first batch of new objects, a few MiB into its upload.
  const start: Handler<{ body: typeof StartBackupRequest }> = async (req, reply) => {
    const { body } = req;
    const previous = deps.catalog.latest(body.group);
    const s = sessions.start(body, previous?.id ?? null);
    const res: StartBackupResponse = {
      session: s.info.id,
      chunker: deps.chunker,
      previous,
      limits: {
        maxFrameBytes: deps.limits.maxFrameBytes, maxHasDigests: deps.limits.maxHasDigests, maxStreams: deps.limits.maxStreamsPerSession,
        maxWarnings: SNAPSHOT_WARNINGS_KEPT,
      },
    };
    return reply.code(201).send(res);
  };

  const get: Handler<BySession> = async (req) => sessions.find(req.params.id);

  const has: Handler<BySession> = async (req, reply) => {
    const s = sessions.open(req.params.id);
    // The digest parser hands over a Buffer; any other content type leaves something else.
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length % 32 !== 0 || body.length / 32 > deps.limits.maxHasDigests) {
      throw new HavenError('HAS_BATCH_INVALID', { max: deps.limits.maxHasDigests });
    }
    const bitmap = sessions.has(s, body);
    // From the request's arrival: the wait behind other work on the loop is what a client feels.
    sessions.hasLatency.observe(reply.elapsedTime / 1000);
    return reply.type(MEDIA_BITMAP).send(bitmap);
  };

  const chunks: Handler<BySession> = async (req) => {
    const s = sessions.open(req.params.id);
    // The frame parser (server.ts) hands the request stream over unread; without that media
    // type the body is absent or parsed, and the ingest would wait on a stream that never comes.
    const source = req.body;
    if (!(source instanceof Readable)) throw new HavenError('VALIDATION_FAILED', { detail: `the body must be ${MEDIA_FRAMES}` });
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
        space: deps.space,
        onProgress: (t) => {
          account(t, ingest.rawBytesNew);
          sessions.touch(s);
        },
        onStored: (h, duplicate) => {
          // A stored duplicate is referenced by this session without living after its start
          // (where a collector leaves uploads alone): pinned like a `has` answer.
          if (duplicate) s.pins.add(digestKey(h.digest));
          if (h.kind === ObjectKind.tree) s.precheck.add(h.digest);
        },
      },
      { maxFrameBytes: deps.limits.maxFrameBytes, ...(deps.limits.frameTimeoutMs ? { frameTimeoutMs: deps.limits.frameTimeoutMs } : {}), ...deps.ingest },
    );
    try {
      return await ingest.run(source, deps.shutdown);
    } finally {
      // Final totals count what was kept, whatever happened to the stream.
      account(ingest.totals, ingest.rawBytesNew);
      s.activeStreams--;
      sessions.touch(s, true);
      sessions.persist(s);
    }
  };

  const commit: Handler<BySession & { body: typeof CommitRequest }> = async (req) => {
    const s = sessions.open(req.params.id);
    return commitSession({ store: deps.store, sessions, bus: deps.bus }, s, req.body);
  };

  const abort: Handler<BySession> = async (req) => sessions.abort(req.params.id, 'aborted by client');

  /** The group a session belongs to, for the route table's auth policy. */
  const sessionGroup = (id: string): string => sessions.find(id).group;

  return { start, get, has, chunks, commit, abort, sessionGroup };
}
