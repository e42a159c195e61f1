import type { AcknowledgeRequest, DiskList, DiskListQuery, DiskParams, DiskRecord } from '../../../../core/src/api/disks.js';
import type { HistoryQuery, HistoryResponse, SelfTestRequest, SmartReport } from '../../../../core/src/api/smart.js';
import type { TaskInfo } from '../../../../core/src/api/jobs.js';
import { HavenError } from '../../../../core/src/errors.js';
import type { Inventory } from '../../disks/inventory.js';
import type { SmartHistory } from '../../disks/smart/history.js';
import type { SelfTests } from '../../disks/smart/self-tests.js';
import type { SmartService } from '../../disks/smart/smart-service.js';
import type { Handler } from '../route-types.js';

export interface DiskRouteDeps {
  inventory: Inventory;
  smart: SmartService;
  history: SmartHistory;
  selfTests: SelfTests;
}

type ByDisk = { params: typeof DiskParams };
const DAY = 86_400_000;

export function diskRoutes(deps: DiskRouteDeps) {
  const list: Handler<{ querystring: typeof DiskListQuery }> = async (req): Promise<DiskList> => {
    const q = req.query;
    return { disks: deps.inventory.list(q.archived === false ? { archived: false } : {}).map((d) => deps.smart.withLiveAcknowledgement(d)) };
  };
  const one: Handler<ByDisk> = async (req): Promise<DiskRecord> => deps.smart.withLiveAcknowledgement(deps.inventory.get(req.params.id));
  const purge: Handler<ByDisk> = async (req, reply) => {
    await deps.inventory.purge(req.params.id);
    await deps.smart.purge(req.params.id);
    return reply.code(204).send();
  };
  const smart: Handler<ByDisk> = async (req): Promise<SmartReport> => deps.smart.report(req.params.id);
  /** Reads SMART now instead of at the next poll. */
  const check: Handler<ByDisk> = async (req): Promise<SmartReport> => {
    const d = deps.inventory.get(req.params.id);
    if (!d.present) throw new HavenError('SMART_UNAVAILABLE', { id: d.id, detail: 'the disk is missing' });
    return (await deps.smart.poll(d.id)) ?? deps.smart.report(d.id);
  };
  const history: Handler<ByDisk & { querystring: typeof HistoryQuery }> = async (req): Promise<HistoryResponse> => {
    const d = deps.inventory.get(req.params.id);
    const q = req.query;
    const to = q.to ?? Date.now();
    return { diskId: d.id, points: deps.history.query(d.id, q.from ?? to - 30 * DAY, to) };
  };
  const acknowledge: Handler<ByDisk & { body: typeof AcknowledgeRequest }> = async (req): Promise<DiskRecord> =>
    deps.smart.acknowledge(req.params.id, req.principal?.name ?? 'admin', req.body.note);
  const selfTest: Handler<ByDisk & { body: typeof SelfTestRequest }> = async (req, reply): Promise<TaskInfo> => {
    const task = deps.selfTests.run(req.params.id, req.body.kind);
    return reply.code(202).send(task);
  };
  return { list, one, purge, smart, check, history, acknowledge, selfTest };
}
