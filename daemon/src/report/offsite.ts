// What a report says of a group's offsite copy, as one function the report service is given,
// so the knowledge the 3-2-1 view builds (replication lag per plan entry) plugs in here in its
// place. Replication is pulled by the offsite: the source appliance does not learn what a peer
// holds, so on its own it knows nothing and says so rather than guess.

import type { PlanEntry } from '../../../core/src/api/plan.js';
import type { OffsiteReport } from '../../../core/src/api/reports.js';

export type OffsiteOf = (group: string, entry: PlanEntry | null) => OffsiteReport;

export const offsiteUnknown: OffsiteOf = (_group, entry) => ({
  configured: false,
  reason: entry?.offsitePeer
    ? `not configured: the plan names ${entry.offsitePeer} for the offsite copy, but this appliance has no view of what it holds (the offsite pulls)`
    : 'not configured: no offsite copy of this group is known to this appliance',
});
