// A peer's schedule and group filter as edited (PATCH /peers/:name): what changes and whether
// its puller must start over (a new schedule: follow mode and a cron job are different loops).

import { HavenError } from '../../../core/src/errors.js';
import type { PeerInfo, UpdatePeerRequest } from '../../../core/src/api/replication.js';

/** The peer with its schedule and groups edited; `restart` when its puller must be launched again. */
export function applySettings(info: PeerInfo, req: UpdatePeerRequest): { info: PeerInfo; restart: boolean } {
  const next = { ...info };
  if (info.repairOnly === true && req.schedule !== undefined) {
    throw new HavenError('VALIDATION_FAILED', { detail: 'a repair-only peer is never pulled from: it takes no schedule' });
  }
  if (req.groups !== undefined) next.groups = req.groups === null || req.groups.length === 0 ? null : [...req.groups];
  const restart = req.schedule !== undefined && req.schedule !== info.schedule;
  if (req.schedule !== undefined) next.schedule = req.schedule;
  return { info: next, restart };
}
