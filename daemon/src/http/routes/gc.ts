// Garbage collection (admin only): its status and history, and a run on demand. A start
// answers at once with the task (202); while a run is in flight, with that run's task.

import type { GcStartResponse, GcStatus } from '../../../../core/src/api/gc.js';
import type { GcService } from '../../gc/gc-service.js';
import type { Handler, NoSchema } from '../route-types.js';

export function gcRoutes(gc: Pick<GcService, 'status' | 'begin'>) {
  const status: Handler<NoSchema, GcStatus> = async () => gc.status();
  const start: Handler = async (req, reply) => {
    const started: GcStartResponse = gc.begin(req.principal?.name ?? 'admin');
    return reply.code(202).send(started);
  };
  return { status, start };
}
