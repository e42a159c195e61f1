import type { AlertAckRequest, AlertInfo, TaskInfo } from '../../../../core/src/api/jobs.js';
import type { AlertCenter } from '../../jobs/alerts.js';
import type { TaskRegistry } from '../../jobs/tasks.js';
import type { Handler } from '../route-types.js';

type IdParams = { id: string };

export function taskRoutes(tasks: TaskRegistry) {
  const list: Handler = async (req): Promise<{ tasks: TaskInfo[] }> => ({ tasks: tasks.list(req.query as { kind?: string; subject?: string; limit?: number }) });
  const one: Handler = async (req): Promise<TaskInfo> => tasks.get((req.params as IdParams).id);
  const cancel: Handler = async (req, reply) => {
    tasks.cancel((req.params as IdParams).id);
    return reply.code(202).send(tasks.get((req.params as IdParams).id));
  };
  return { list, one, cancel };
}

export function alertRoutes(alerts: AlertCenter) {
  const list: Handler = async (req): Promise<{ alerts: AlertInfo[] }> => ({ alerts: alerts.list(req.query as { cleared?: boolean }) });
  const acknowledge: Handler = async (req): Promise<AlertInfo> =>
    alerts.acknowledge((req.params as IdParams).id, req.principal?.name ?? 'admin', (req.body as AlertAckRequest).note);
  return { list, acknowledge };
}
