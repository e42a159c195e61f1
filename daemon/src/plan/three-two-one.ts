// 3-2-1 at a glance (issue 15, step 2 of the backup practice): per plan entry, three lights
// with the reason in words. Pure: the RPO watch hands it what it knows.
//
// - copies: the client's own data, this appliance's backup, the offsite's (on an offsite: the
//   client, the source appliance and this one). Three or more green, two amber, one red.
// - media: the redundancy of the pool the datastore lives on. A healthy btrfs raid1, raid1c3 or
//   raid10 is green; a plain directory is one medium (amber); a pool with errors amber; a
//   degraded or unavailable pool red.
// - offsite: the offsite state's own light (offsite-state.ts).

import type { OffsiteState, ThreeTwoOne } from '../../../core/src/api/plan.js';
import type { PoolStatus } from '../../../core/src/api/pool.js';

export interface ThreeTwoOneInput {
  /** The group has a snapshot here that did not fail verification. */
  backedUpHere: boolean;
  offsite: OffsiteState;
  /** The pool's last known status; null until it was first read. */
  pool: PoolStatus | null;
}

export function threeTwoOne(input: ThreeTwoOneInput): ThreeTwoOne {
  return { copies: copiesOf(input), media: mediaOf(input.pool), offsite: { level: input.offsite.level, reason: input.offsite.reason } };
}

function copiesOf({ backedUpHere, offsite }: ThreeTwoOneInput): ThreeTwoOne['copies'] {
  const where = ['the client'];
  if (offsite.role === 'offsite') where.push(`the source appliance ${offsite.peer ?? ''}`.trim());
  if (backedUpHere) where.push('this appliance');
  if (offsite.role === 'source' && offsite.snapshotsHeld > 0) where.push(`the offsite ${offsite.peer ?? ''}`.trim());
  const count = where.length;
  const level = count >= 3 ? 'green' : count === 2 ? 'amber' : 'red';
  const missing = !backedUpHere ? '; no backup on this appliance yet' : count < 3 ? '; no offsite copy confirmed' : '';
  return { level, count, reason: `${count} cop${count === 1 ? 'y' : 'ies'}: ${where.join(', ')}${missing}` };
}

function mediaOf(pool: PoolStatus | null): ThreeTwoOne['media'] {
  if (pool === null) return { level: 'amber', reason: 'the pool has not been read yet' };
  if (pool.kind === 'directory') {
    return { level: 'amber', reason: `one medium: the datastore is a plain directory (${pool.datastorePath}) with no redundancy of its own` };
  }
  const what = `btrfs ${pool.profile ?? ''} across ${pool.members.length} disk(s)`.replace('  ', ' ');
  switch (pool.health) {
    case 'healthy':
      return { level: 'green', reason: `${what}, healthy: it survives ${pool.tolerates} failed disk(s)` };
    case 'errors':
      return { level: 'amber', reason: `${what}: ${pool.summary}` };
    default:
      return { level: 'red', reason: `${what}, ${pool.health}: ${pool.summary}` };
  }
}
