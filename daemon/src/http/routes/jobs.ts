import type { AlertAckRequest, AlertInfo, AlertListQuery, JobIdParams, ScheduledJobList, TaskGetQuery, TaskInfo, TaskListQuery } from '../../../../core/src/api/jobs.js';
import { listJobs, type JobListDeps } from '../../jobs/job-list.js';
import type { AlertCenter } from '../../jobs/alerts.js';
import type { TaskRegistry } from '../../jobs/tasks.js';
import type { Handler } from '../route-types.js';

type ById = { params: typeof JobIdParams };

export function taskRoutes(tasks: TaskRegistry) {
  const list: Handler<{ querystring: typeof TaskListQuery }> = async (req): Promise<{ tasks: TaskInfo[] }> => ({ tasks: tasks.list(req.query) });
  const one: Handler<ById & { querystring: typeof TaskGetQuery }> = async (req): Promise<TaskInfo> =>
    tasks.settled(req.params.id, (req.query.wait ?? 0) * 1000);
  const cancel: Handler<ById> = async (req, reply) => {
    tasks.cancel(req.params.id);
    return reply.code(202).send(tasks.get(req.params.id));
  };
  return { list, one, cancel };
}

export function alertRoutes(alerts: AlertCenter) {
  const list: Handler<{ querystring: typeof AlertListQuery }> = async (req): Promise<{ alerts: AlertInfo[] }> => ({ alerts: alerts.list(req.query) });
  const acknowledge: Handler<ById & { body: typeof AlertAckRequest }> = async (req): Promise<AlertInfo> =>
    alerts.acknowledge(req.params.id, req.principal?.name ?? 'admin', req.body.note);
  return { list, acknowledge };
}

/** Every schedule the appliance runs (the Jobs page). */
export function scheduledJobRoutes(deps: JobListDeps) {
  const list: Handler = async (): Promise<ScheduledJobList> => ({ jobs: listJobs(deps) });
  return { list };
}
