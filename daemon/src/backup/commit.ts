// Committing a session: everything reachable from the root must be present, then the
// snapshot record is appended and registered in the same LMDB transaction as its index
// entry, so a snapshot is either fully there or not there at all.

import { hostname } from 'node:os';
import { HavenError } from '../../../core/src/errors.js';
import type { CommitRequest, CommitResponse } from '../../../core/src/api/backup.js';
import { fromHex, toHex } from '../../../core/src/objects/digest.js';
import type { SnapshotRecord } from '../../../core/src/objects/snapshot.js';
import type { EventBus } from '../events.js';
import type { Datastore } from '../store/datastore.js';
import { walkReachable } from '../store/reachability.js';
import { WalkOutdated } from '../store/snapshot-catalog.js';
import type { CommitWith } from '../store/store-api.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { LiveSession, Sessions } from './sessions.js';

export interface CommitDeps {
  store: Pick<Datastore, 'objects' | 'catalog' | 'quarantine'>;
  sessions: Sessions;
  bus: EventBus;
  now?: () => number;
}

/** Walks again at most this often when garbage collection removes objects meanwhile (rare: once or twice per GC run). */
const MAX_WALKS = 5;

/** What a commit writes once its walk found everything present: a record, or raw record bytes. */
type Writer = (also: CommitWith) => Promise<SnapshotSummary>;

export function commitSession(deps: CommitDeps, session: LiveSession, req: CommitRequest): Promise<CommitResponse> {
  return commitWalked(deps, session, fromHex(req.root), (also) => deps.store.catalog.commit(recordOf(deps, session, req), also));
}

/**
 * Commits a snapshot record pulled from a replication source, byte for byte (same id), after
 * the same walk a backup's commit makes: everything its root reaches must be present.
 */
export function commitReplicated(deps: CommitDeps, session: LiveSession, raw: Uint8Array, root: Uint8Array): Promise<CommitResponse> {
  return commitWalked(deps, session, root, (also) => deps.store.catalog.commitRaw(raw, also));
}

async function commitWalked(deps: CommitDeps, session: LiveSession, root: Uint8Array, write: Writer): Promise<CommitResponse> {
  session.committing = true;
  let committed = false;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await commitOnce(deps, session, root, write);
        committed = true;
        return response;
      } catch (err) {
        if (!(err instanceof WalkOutdated)) throw err;
        // Not seen in any run (a GC run removes in a handful of batches); typed all the same.
        if (attempt >= MAX_WALKS) throw new HavenError('COMMIT_OUTRUN', { walks: MAX_WALKS });
      }
    }
  } finally {
    session.committing = false;
    // A refused commit leaves the session open: the client uploads what was missing and retries.
    if (!committed) session.precheck.resume();
  }
}

async function commitOnce(deps: CommitDeps, session: LiveSession, root: Uint8Array, write: Writer): Promise<CommitResponse> {
  const { store, sessions, bus } = deps;
  const walkedAt = store.objects.removalGeneration;
  // Asked after walkedAt is read: trees the check found before a removal are dropped by it.
  const prechecked = await session.precheck.stop();
  const walk = await walkReachable(store.objects, root, {
    missingLimit: 20, completeHeight: (k) => session.precheck.heightOf(k), isDamaged: (d) => store.quarantine.isQuarantined(d),
  });
  if (walk.missing.length > 0) {
    throw new HavenError(
      'MISSING_OBJECTS',
      { count: walk.missing.length >= 20 ? '20 or more' : walk.missing.length, first: toHex(walk.missing[0] as Uint8Array) },
      { details: { missing: walk.missing.map(toHex) } },
    );
  }
  if (walk.damaged.length > 0) {
    // Healing: the client reads the files again without its cache and uploads these anew
    // (`has` answers them absent), and the append that indexes them lifts the quarantine.
    throw new HavenError(
      'OBJECTS_DAMAGED',
      { count: walk.damaged.length >= 20 ? '20 or more' : walk.damaged.length, first: toHex(walk.damaged[0] as Uint8Array) },
      { details: { damaged: walk.damaged.map(toHex) } },
    );
  }
  const summary = await write({ session: { ...session.info, updated: new Date().toISOString() }, completeTrees: [...walk.trees, ...prechecked], walkedAt });
  const ended = sessions.committed(session, summary.id);
  bus.emit('snapshot.committed', summary);
  return { snapshot: summary, session: ended };
}

function recordOf(deps: CommitDeps, session: LiveSession, req: CommitRequest): SnapshotRecord {
  const info = session.info;
  const time = (deps.now ?? Date.now)();
  const stats: Record<string, number> = { ...(req.stats ?? {}) };
  for (const [k, v] of Object.entries(info.stats)) stats[`session${k[0]?.toUpperCase()}${k.slice(1)}`] = v;
  // The backup's duration as the appliance saw it (session start to commit), for reports: the
  // client's own durationMs is whatever the client says.
  stats.sessionDurationMs = Math.max(0, time - Date.parse(info.started));
  const record: SnapshotRecord = {
    group: info.group,
    time,
    host: info.host || hostname(),
    paths: info.paths,
    tags: info.tags,
    root: fromHex(req.root),
    session: info.id,
    stats,
  };
  if (session.parent) record.parent = fromHex(session.parent);
  if (req.warnings && req.warnings.length > 0) record.warnings = req.warnings;
  return record;
}
