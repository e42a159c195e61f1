// Fetches objects the offsite lacks from the source, in large batches over a few parallel
// streams, through the same verified ingest a backup's upload goes through (frame-ingest.ts:
// every digest verified before anything is indexed). The objects land in an open backup
// session of the offsite: what it appends lies after the session's start, where garbage
// collection condemns nothing, and what it finds present is pinned, as a `has` answer is.
//
// A stream that fails (a bad frame: DIGEST_MISMATCH; a cut connection) keeps what verified
// before the failure; the rest of its batch is asked for again, a bounded number of times.

import type http from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { HavenError } from '../../../core/src/errors.js';
import { digestKey, toHex } from '../../../core/src/objects/digest.js';
import type { LiveSession } from '../backup/sessions.js';
import { FrameIngest, type IngestOptions } from '../backup/frame-ingest.js';
import type { UploadSpace } from '../store/space-reserve.js';
import type { ObjectStore } from '../store/store-api.js';
import type { VerifyPool } from '../workers/verify-pool.js';
import type { SourceClient } from './source-client.js';

/** Digests per request: the source's limit for POST /snapshots/:id/objects. */
export const FETCH_BATCH = 4096;
/** Times a batch is asked for again after a failed stream before the pull gives up. */
const ATTEMPTS = 4;

export interface FetchDeps {
  source: SourceClient;
  objects: ObjectStore;
  pool: VerifyPool;
  /** The free-space reserve: pulled objects are refused below it as uploads are (STORAGE_FULL). */
  space: UploadSpace;
  ingest: IngestOptions;
  session: LiveSession;
  streams: number;
  /** Told of every failed stream (the pull's log): what failed, and that it is asked for again. */
  onRetry: (err: HavenError, remaining: number) => void;
  /** Told of verified bytes and objects received (the peer's counters). */
  onFetched: (objects: number, bytes: number) => void;
  shutdown?: AbortSignal;
  /** The peer's time windows and bandwidth limit (peer-gate.ts): waited for before each request, charged per chunk. */
  pace?: Pace;
}

export interface Pace {
  open(signal: AbortSignal): Promise<void>;
  throttle(signal?: AbortSignal): Transform;
}

/** The response through the bandwidth limit; a cut response fails the throttled stream too. */
function paced(res: http.IncomingMessage, pace: Pace | undefined, signal?: AbortSignal): Readable {
  if (!pace) return res;
  const out = pace.throttle(signal);
  res.once('error', (err) => out.destroy(err));
  res.once('close', () => {
    if (!res.complete) out.destroy(new HavenError('SERVER_UNREACHABLE', { server: 'the source', detail: 'the object stream was cut' }));
  });
  out.once('close', () => res.destroy());
  return res.pipe(out);
}


function asHaven(err: unknown): HavenError {
  return err instanceof HavenError ? err : new HavenError('STORAGE_IO', { detail: (err as Error).message });
}

/** Streams one request's frames into the store; resolves with what it could not bring (never throws for a bad stream). */
async function fetchBatch(deps: FetchDeps, via: string, batch: Uint8Array[]): Promise<{ error: HavenError | null }> {
  const { session } = deps;
  // Told as each verified batch is appended, so a peer's status moves during a long stream.
  let told = { objects: 0, bytes: 0 };
  const tell = (objects: number, bytes: number): void => {
    deps.onFetched(objects - told.objects, bytes - told.bytes);
    told = { objects, bytes };
  };
  const ingest: FrameIngest = new FrameIngest({
    store: deps.objects,
    pool: deps.pool,
    space: deps.space,
    onProgress: (t) => tell(t.objectsNew + t.objectsDuplicate, t.bytesReceived),
    // Found stored already: referenced by this pull without lying after its start. Trees are
    // not given to the session's precheck as an upload's are: a pull brings trees before the
    // data under them, so every check would fail and the commit walk them all again anyway
    // (measured: a third of the offsite's main thread on the bench dataset).
    onStored: (h, duplicate) => {
      if (duplicate) session.pins.add(digestKey(h.digest));
    },
  }, deps.ingest);
  try {
    if (deps.pace) await deps.pace.open(deps.shutdown ?? new AbortController().signal);
    const res = await deps.source.objects(via, Buffer.concat(batch));
    await ingest.run(paced(res, deps.pace, deps.shutdown), deps.shutdown);
    return { error: null };
  } catch (err) {
    return { error: asHaven(err) };
  } finally {
    tell(ingest.totals.objectsNew + ingest.totals.objectsDuplicate, ingest.totals.bytesReceived);
  }
}

/**
 * Brings every digest of `wanted` into the store (those already indexed are pinned and skipped),
 * reading through snapshot `via` on the source. Throws the last stream's error when some
 * objects still lack after every attempt.
 */
export async function fetchObjects(deps: FetchDeps, via: string, wanted: readonly Uint8Array[]): Promise<void> {
  let pending = missingOf(deps, wanted);
  let lastError: HavenError | null = null;
  for (let attempt = 0; pending.length > 0 && attempt < ATTEMPTS; attempt++) {
    if (deps.shutdown?.aborted) throw new HavenError('SHUTTING_DOWN');
    const batches: Uint8Array[][] = [];
    for (let i = 0; i < pending.length; i += FETCH_BATCH) batches.push(pending.slice(i, i + FETCH_BATCH));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const batch = batches[next++] as Uint8Array[];
        const { error } = await fetchBatch(deps, via, batch);
        if (error) {
          lastError = error;
          deps.onRetry(error, missingOf(deps, batch).length);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(deps.streams, batches.length) }, worker));
    pending = missingOf(deps, pending);
  }
  if (pending.length > 0) {
    throw lastError ?? new HavenError('OBJECT_NOT_FOUND', { digest: toHex(pending[0] as Uint8Array) });
  }
}

/** The digests not indexed yet; those indexed are pinned for the session. */
export function missingOf(deps: Pick<FetchDeps, 'objects' | 'session'>, digests: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const d of digests) {
    if (deps.objects.isIndexed(d)) deps.session.pins.add(digestKey(d));
    else out.push(d);
  }
  return out;
}
