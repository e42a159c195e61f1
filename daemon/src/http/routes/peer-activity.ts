// A peer's pause and resume (admin), what it still has to pull (its queue) and its lag over
// the last days (the replication page's chart).

import type { LagHistory, LagHistoryQuery, PeerQueue } from '../../../../core/src/api/peer-activity.js';
import type { PeerNameParams, PeerStatus } from '../../../../core/src/api/replication.js';
import type { ReplicationService } from '../../replication/replication-service.js';
import type { Handler } from '../route-types.js';

type ByName = { params: typeof PeerNameParams };

export function peerActivityRoutes(service: ReplicationService) {
  const pause: Handler<ByName, PeerStatus> = async (req) => service.pause(req.params.name, req.principal?.name ?? 'admin');
  const resume: Handler<ByName, PeerStatus> = async (req) => service.resume(req.params.name);
  const queue: Handler<ByName, PeerQueue> = async (req) => service.queue(req.params.name);
  const lagHistory: Handler<ByName & { querystring: typeof LagHistoryQuery }, LagHistory> = async (req) =>
    service.lagHistory(req.params.name, req.query.since);
  return { pause, resume, queue, lagHistory };
}
