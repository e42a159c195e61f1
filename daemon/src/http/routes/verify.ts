// Verification (admin only): its status (damaged snapshots, quarantine, history) and a run on
// demand, of every snapshot or one group's. A start answers at once with the task (202). A
// repair from a peer (`havend store repair --from-peer NAME`) answers when it has ended.

import type { RepairReport, RepairRequest } from '../../../../core/src/api/repair.js';
import type { VerifyStartRequest, VerifyStartResponse, VerifyStatus } from '../../../../core/src/api/verify.js';
import type { VerifyService } from '../../verify/verify-service.js';
import type { Handler, NoSchema } from '../route-types.js';

export function verifyRoutes(verify: Pick<VerifyService, 'status' | 'begin' | 'repair'>) {
  const status: Handler<NoSchema, VerifyStatus> = async () => verify.status();
  const start: Handler<{ body: typeof VerifyStartRequest }> = async (req, reply) => {
    const started: VerifyStartResponse = { task: verify.begin('full', req.principal?.name ?? 'admin', req.body?.group ?? null) };
    return reply.code(202).send(started);
  };
  const repair: Handler<{ body: typeof RepairRequest }, RepairReport> = async (req) => verify.repair(req.body.peer, req.principal?.name ?? 'admin');
  return { status, start, repair };
}
