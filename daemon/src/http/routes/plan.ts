// The protection plan: entries with their RPO states, the unplanned groups, and enrolment
// (admin only: enrolment creates a token).

import type { Enrolment, PlanEntryInput, PlanEntryStatus, PlanList } from '../../../../core/src/api/plan.js';
import type { GroupParams } from '../../../../core/src/api/snapshots.js';
import { enrol, type EnrolmentDeps } from '../../plan/enrolment.js';
import type { PlanStore } from '../../plan/plan-store.js';
import type { RpoWatch } from '../../plan/rpo-watch.js';
import type { Handler } from '../route-types.js';

export interface PlanRouteDeps {
  plans: PlanStore;
  watch: RpoWatch;
  enrolment: EnrolmentDeps;
}

type ByGroup = { params: typeof GroupParams };

export function planRoutes(deps: PlanRouteDeps) {
  const { plans, watch } = deps;
  const list: Handler = async (): Promise<PlanList> => watch.list();
  const one: Handler<ByGroup> = async (req): Promise<PlanEntryStatus> => watch.status(plans.require(req.params.group));
  const set: Handler<ByGroup & { body: typeof PlanEntryInput }> = async (req): Promise<PlanEntryStatus> => {
    const entry = await plans.set(req.params.group, req.body, req.principal?.name ?? 'admin');
    watch.check(); // alerts and live events follow the new goal at once
    return watch.status(entry);
  };
  const remove: Handler<ByGroup> = async (req, reply) => {
    if (!(await plans.remove(req.params.group))) plans.require(req.params.group); // throws the typed 404
    watch.forget(req.params.group);
    return reply.code(204).send();
  };
  const enroll: Handler<ByGroup> = async (req): Promise<Enrolment> => enrol(deps.enrolment, plans.require(req.params.group).group);
  return { list, one, set, remove, enroll };
}
