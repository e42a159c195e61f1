import type { AddDeviceRequest, CreatePoolRequest, DevidParams, PoolStatus } from '../../../../core/src/api/pool.js';
import type { TaskInfo } from '../../../../core/src/api/jobs.js';
import type { PoolService } from '../../pool/pool-service.js';
import type { Handler } from '../route-types.js';

export interface PoolRouteDeps {
  service: PoolService;
  create: (req: CreatePoolRequest) => Promise<PoolStatus>;
}

export function poolRoutes(deps: PoolRouteDeps) {
  const status: Handler = async (): Promise<PoolStatus> => deps.service.status();
  const create: Handler<{ body: typeof CreatePoolRequest }> = async (req, reply) => reply.code(201).send(await deps.create(req.body));
  const scrub: Handler = async (_req, reply): Promise<TaskInfo> => reply.code(202).send(deps.service.startScrub());
  const addDevice: Handler<{ body: typeof AddDeviceRequest }> = async (req): Promise<PoolStatus> => deps.service.addDevice(req.body);
  const removeDevice: Handler<{ params: typeof DevidParams }> = async (req, reply): Promise<TaskInfo> =>
    reply.code(202).send(await deps.service.removeDevice(req.params.devid));
  return { status, create, scrub, addDevice, removeDevice };
}
