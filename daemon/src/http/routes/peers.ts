// The offsite's replication peers (admin): add (the source is asked for its groups first),
// list, status, edit (limits, windows, deletion propagation, the brake's resume), remove,
// and a pull on demand (`havend replicate NAME [--wait]`).

import type { AddPeerRequest, PeerList, PeerNameParams, PeerStatus, ReplicateRequest, ReplicateResponse, UpdatePeerRequest } from '../../../../core/src/api/replication.js';
import type { ReplicationService } from '../../replication/replication-service.js';
import type { Handler } from '../route-types.js';

type ByName = { params: typeof PeerNameParams };

export function peerRoutes(service: ReplicationService) {
  const list: Handler<Record<never, never>, PeerList> = async () => ({ peers: service.list() });

  const add: Handler<{ body: typeof AddPeerRequest }> = async (req, reply) => reply.code(201).send(await service.add(req.body));

  const one: Handler<ByName, PeerStatus> = async (req) => service.status(req.params.name);

  const update: Handler<ByName & { body: typeof UpdatePeerRequest }, PeerStatus> = async (req) => service.update(req.params.name, req.body);

  const remove: Handler<ByName> = async (req, reply) => {
    await service.remove(req.params.name);
    return reply.code(204).send();
  };

  const replicate: Handler<ByName & { body: typeof ReplicateRequest }, ReplicateResponse> = async (req, reply) => {
    const wait = req.body.wait === true;
    const r = await service.replicate(req.params.name, wait);
    return reply.code(wait ? 200 : 202).send(r);
  };

  return { list, add, one, update, remove, replicate };
}
