// What an offsite peer reads from this appliance (the source): the change feed after its
// cursor, as a long poll, and a snapshot's record as stored, so the offsite commits the same
// bytes and the snapshot keeps its id. Objects come through the restore route by digest.
//
// Nothing the peer sends is trusted (ZFS's resume token leaked data because the sender
// trusted it): the cursor only positions a read of the feed, and every change is shown only
// when the token covers its group.

import { MEDIA_SNAPSHOT_RECORD, type ChangesQuery, type ChangesResponse } from '../../../../core/src/api/replication.js';
import type { SnapshotParams } from '../../../../core/src/api/snapshots.js';
import { fromHex } from '../../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../../core/src/objects/kinds.js';
import { canReadGroup, type Principal } from '../../auth/principal.js';
import type { Catalog } from '../../backup/catalog.js';
import type { EventBus } from '../../events.js';
import type { OffsiteConfirmations } from '../../replication/offsite-confirmations.js';
import type { ChangeFeed, ObjectStore } from '../../store/store-api.js';
import type { Handler } from '../route-types.js';

export interface ReplicationSourceDeps {
  feed: ChangeFeed;
  objects: Pick<ObjectStore, 'readObject'>;
  catalog: Catalog;
  bus: EventBus;
  /** Where a replication token's request is kept as its offsite's confirmation (absent: not kept). */
  confirmations?: Pick<OffsiteConfirmations, 'note'>;
  /** Fires at shutdown: a waiting long poll answers at once. */
  shutdown?: AbortSignal;
}

/** Resolves when a snapshot is committed, deleted or (un)protected, after `ms`, or when a signal fires. */
function nextChange(bus: EventBus, ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const owner = {};
    const done = (): void => {
      clearTimeout(timer);
      bus.removeListeners(owner);
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    bus.on(owner, 'snapshot.committed', done);
    bus.on(owner, 'snapshot.deleted', done);
    bus.on(owner, 'snapshot.changed', done);
    for (const s of signals) {
      if (s.aborted) return done();
      s.addEventListener('abort', done, { once: true });
    }
  });
}

export function replicationSourceRoutes(deps: ReplicationSourceDeps) {
  const { feed, bus } = deps;

  const page = (principal: Principal, q: ChangesQuery): ChangesResponse => {
    const cursor = q.epoch !== undefined && q.seq !== undefined ? { epoch: q.epoch, seq: q.seq } : null;
    const p = feed.after(cursor, q.limit ?? 1000);
    return { changes: p.changes.filter((c) => canReadGroup(principal, c.group)), cursor: p.cursor, head: feed.head(), reset: p.reset };
  };

  const changes: Handler<{ querystring: typeof ChangesQuery }, ChangesResponse> = async (req) => {
    const principal = req.principal as Principal;
    if (principal.kind === 'token') {
      const q = req.query;
      deps.confirmations?.note(principal, q.epoch !== undefined && q.seq !== undefined ? { epoch: q.epoch, seq: q.seq } : null);
    }
    let answer = page(principal, req.query);
    const waitMs = (req.query.wait ?? 0) * 1000;
    if (answer.changes.length > 0 || answer.reset || waitMs === 0) return answer;
    // Nothing new: wait for the next commit or deletion (or the bound), then read once more
    // from where this page ended (changes of groups the token does not cover move it on too).
    const closed = new AbortController();
    req.raw.once('close', () => closed.abort());
    const deadline = Date.now() + waitMs;
    const signals = deps.shutdown ? [closed.signal, deps.shutdown] : [closed.signal];
    while (answer.changes.length === 0 && !answer.reset && Date.now() < deadline && !signals.some((s) => s.aborted)) {
      await nextChange(bus, deadline - Date.now(), signals);
      answer = page(principal, { ...req.query, epoch: answer.cursor.epoch, seq: answer.cursor.seq });
    }
    return answer;
  };

  /** The snapshot's record as stored (read back verified): the offsite commits these bytes. */
  const record: Handler<{ params: typeof SnapshotParams }> = async (req, reply) => {
    const s = deps.catalog.resolve(req.params.id);
    const raw = await deps.objects.readObject(fromHex(s.id), ObjectKind.snapshot);
    return reply.type(MEDIA_SNAPSHOT_RECORD).header('x-haven-snapshot', s.id).send(raw);
  };

  return { changes, record };
}
