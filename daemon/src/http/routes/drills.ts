// Recovery drills (admin only): the history and a drill of one group on demand. A start
// answers at once with the task (202); while a drill runs, with that drill's task.

import type { DrillStartResponse, DrillStatus } from '../../../../core/src/api/drills.js';
import type { GroupParams } from '../../../../core/src/api/snapshots.js';
import type { DrillService } from '../../drill/drill-service.js';
import type { Handler, NoSchema } from '../route-types.js';

export function drillRoutes(drills: Pick<DrillService, 'status' | 'begin'>) {
  const status: Handler<NoSchema, DrillStatus> = async () => drills.status();
  const start: Handler<{ params: typeof GroupParams }> = async (req, reply) => {
    const started: DrillStartResponse = drills.begin(req.params.group, req.principal?.name ?? 'admin');
    return reply.code(202).send(started);
  };
  return { status, start };
}
