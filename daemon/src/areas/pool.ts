// The pool's two areas as the composition root runs them (their parts are built by
// pool/pool-area.ts): the mount, before the datastore opens (the datastore may live on the
// pool) and unmounted after it closes; and the pool service with its swap workflow, periodic
// check and scrub, once the disks area exists.

import { LatestValue } from '../live/latest-value.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { bootPool, createPoolArea, type PoolAreaDeps, type PoolBootDeps } from '../pool/pool-area.js';
import { poolFamilies } from '../pool/pool-metrics.js';

/** Mounts a configured pool and says where the datastore is; unmounts at stop. */
export async function poolMountArea(deps: PoolBootDeps) {
  const boot = await bootPool(deps);
  return {
    name: 'pool-mount',
    boot,
    start(): void {},
    stop: () => boot.stop(),
  };
}

export function poolArea(deps: PoolAreaDeps & { metrics: MetricsRegistry }) {
  const pools = createPoolArea(deps);
  // The live view's copy of the pool's status (reading it runs btrfs commands).
  const status = new LatestValue(deps.bus, 'pool.changed', () => pools.service.status(), deps.log);
  let unregister = (): void => {};

  return {
    name: 'pool',
    pools, status,
    async start(): Promise<void> {
      await status.start();
      try {
        await pools.start();
      } catch (err) {
        status.stop();
        throw err;
      }
      unregister = deps.metrics.register('pool', () => poolFamilies(pools.service.lastStatus));
    },
    async stop(): Promise<void> {
      unregister();
      await pools.stop();
      status.stop();
    },
  };
}
