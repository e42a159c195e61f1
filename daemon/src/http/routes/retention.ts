// Retention policies per group, their preview, and prune (admin only: a prune deletes).

import type { GroupParams } from '../../../../core/src/api/snapshots.js';
import type { PolicyList, PreviewRequest, PreviewResponse, PruneRequest, PruneResponse, RetentionPolicy, StoredPolicy } from '../../../../core/src/api/retention.js';
import type { PolicyStore } from '../../retention/policy-store.js';
import type { PruneService } from '../../retention/prune.js';
import type { Handler } from '../route-types.js';

export interface RetentionRouteDeps {
  policies: PolicyStore;
  prune: PruneService;
}

type ByGroup = { params: typeof GroupParams };

export function retentionRoutes(deps: RetentionRouteDeps) {
  const { policies, prune } = deps;
  const list: Handler = async (): Promise<PolicyList> => ({ policies: policies.list() });
  const one: Handler<ByGroup> = async (req): Promise<StoredPolicy> => policies.require(req.params.group);
  const set: Handler<ByGroup & { body: typeof RetentionPolicy }> = async (req): Promise<StoredPolicy> =>
    policies.set(req.params.group, req.body, req.principal?.name ?? 'admin');
  const clear: Handler<ByGroup> = async (req, reply) => {
    if (!(await policies.clear(req.params.group))) policies.require(req.params.group); // throws the typed 404
    return reply.code(204).send();
  };
  const preview: Handler<ByGroup & { body: typeof PreviewRequest }> = async (req): Promise<PreviewResponse> =>
    prune.preview(req.params.group, req.body?.policy);
  const run: Handler<{ body: typeof PruneRequest }> = async (req): Promise<PruneResponse> => prune.prune({ ...req.body, by: req.principal?.name ?? 'admin' });

  return { list, one, set, clear, preview, run };
}
