import type { AcknowledgeRequest, DiskList, DiskRecord } from '../../../../core/src/api/disks.js';
import type { HistoryResponse, SelfTestRequest, SmartReport } from '../../../../core/src/api/smart.js';
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

type IdParams = { id: string };
const DAY = 86_400_000;

export function diskRoutes(deps: DiskRouteDeps) {
  const id = (req: { params: unknown }): string => (req.params as IdParams).id;
  const list: Handler = async (req): Promise<DiskList> => {
    const q = req.query as { archived?: boolean };
    return { disks: deps.inventory.list(q.archived === false ? { archived: false } : {}).map((d) => deps.smart.withLiveAcknowledgement(d)) };
  };
  const one: Handler = async (req): Promise<DiskRecord> => deps.smart.withLiveAcknowledgement(deps.inventory.get(id(req)));
  const purge: Handler = async (req, reply) => {
    await deps.inventory.purge(id(req));
    await deps.smart.purge(id(req));
    return reply.code(204).send();
  };
  const smart: Handler = async (req): Promise<SmartReport> => deps.smart.report(id(req));
  /** Reads SMART now instead of at the next poll. */
  const check: Handler = async (req): Promise<SmartReport> => {
    const d = deps.inventory.get(id(req));
    if (!d.present) throw new HavenError('SMART_UNAVAILABLE', { id: d.id, detail: 'the disk is missing' });
    return (await deps.smart.poll(d.id)) ?? deps.smart.report(d.id);
  };
  const history: Handler = async (req): Promise<HistoryResponse> => {
    const d = deps.inventory.get(id(req));
    const q = req.query as { from?: number; to?: number };
    const to = q.to ?? Date.now();
    return { diskId: d.id, points: deps.history.query(d.id, q.from ?? to - 30 * DAY, to) };
  };
  const acknowledge: Handler = async (req): Promise<DiskRecord> =>
    deps.smart.acknowledge(id(req), req.principal?.name ?? 'admin', (req.body as AcknowledgeRequest).note);
  const selfTest: Handler = async (req, reply): Promise<TaskInfo> => {
    const task = deps.selfTests.run(id(req), (req.body as SelfTestRequest).kind);
    return reply.code(202).send(task);
  };
  return { list, one, purge, smart, check, history, acknowledge, selfTest };
}
