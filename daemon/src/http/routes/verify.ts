// Verification (admin only): its status (damaged snapshots, quarantine, history) and a run on
// demand, of every snapshot or one group's. A start answers at once with the task (202).

import type { VerifyStartRequest, VerifyStartResponse, VerifyStatus } from '../../../../core/src/api/verify.js';
import type { VerifyService } from '../../verify/verify-service.js';
import type { Handler, NoSchema } from '../route-types.js';

export function verifyRoutes(verify: Pick<VerifyService, 'status' | 'begin'>) {
  const status: Handler<NoSchema, VerifyStatus> = async () => verify.status();
  const start: Handler<{ body: typeof VerifyStartRequest }> = async (req, reply) => {
    const started: VerifyStartResponse = { task: verify.begin('full', req.principal?.name ?? 'admin', req.body?.group ?? null) };
    return reply.code(202).send(started);
  };
  return { status, start };
}
