// The disks area as the composition root runs it (its parts are built by disks/disks-area.ts):
// discovery, hotplug, SMART and self-tests run only when there is something to watch; the
// inventory and the disk metrics exist either way.

import { createDisks, type DisksDeps } from '../disks/disks-area.js';
import { diskFamilies } from '../metrics/operations-metrics.js';
import type { MetricsRegistry } from '../metrics/registry.js';

export function disksArea(deps: DisksDeps & { metrics: MetricsRegistry }) {
  const disks = createDisks(deps);
  let unregister = (): void => {};

  return {
    name: 'disks',
    disks,
    inventory: disks.inventory,
    async start(): Promise<void> {
      if (disks.enabled) {
        try {
          await disks.start();
        } catch (err) {
          await disks.stop(); // a start that fails undoes its part (discovery may be running)
          throw err;
        }
      }
      unregister = deps.metrics.register('disks', () => diskFamilies(disks.inventory.list()));
    },
    async stop(): Promise<void> {
      unregister();
      if (disks.enabled) await disks.stop();
    },
  };
}
