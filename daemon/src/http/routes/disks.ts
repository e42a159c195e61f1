import type { DiskList, DiskRecord } from '../../../../core/src/api/disks.js';
import type { Inventory } from '../../disks/inventory.js';
import type { Handler } from '../route-types.js';

export interface DiskRouteDeps {
  inventory: Inventory;
  /** Called after a purge so the disk's SMART history goes with it. */
  onPurged: (id: string) => Promise<void>;
}

type IdParams = { id: string };

export function diskRoutes(deps: DiskRouteDeps) {
  const list: Handler = async (req): Promise<DiskList> => {
    const q = req.query as { archived?: boolean };
    return { disks: deps.inventory.list(q.archived === false ? { archived: false } : {}) };
  };
  const one: Handler = async (req): Promise<DiskRecord> => deps.inventory.get((req.params as IdParams).id);
  const purge: Handler = async (req, reply) => {
    const { id } = req.params as IdParams;
    await deps.inventory.purge(id);
    await deps.onPurged(id);
    return reply.code(204).send();
  };
  return { list, one, purge };
}
