// Keeps the inventory in step with the machine: a scan at start, a rescan on every hotplug
// notice, and a full rescan now and then (partitions and mounts change without hotplug).
// Scans never overlap; a notice during a scan schedules exactly one more.

import type { Logger } from 'pino';
import type { DiskFacts } from './discovery.js';
import type { Hotplug } from './hotplug.js';
import type { Inventory } from './inventory.js';

export class DiskService {
  private scanning: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    /** Discovery (plus replayed disks in fixture-backed runs). */
    private readonly scan: () => Promise<DiskFacts[]>,
    private readonly inventory: Inventory,
    private readonly hotplug: Hotplug | null,
    private readonly log: Logger,
    private readonly rescanMs: number,
  ) {}

  async start(): Promise<void> {
    await this.rescan();
    this.hotplug?.start();
    this.timer = setInterval(() => void this.rescan(), this.rescanMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.hotplug?.stop();
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
  }

  /** Rescans now (or right after the scan in progress) and resolves when the inventory reflects it. */
  rescan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.again = false;
        if (this.stopped) break;
        try {
          await this.inventory.reconcile(await this.scan());
        } catch (err) {
          this.log.error({ err }, 'disk discovery failed');
        }
      } while (this.again);
      this.scanning = null;
    })();
    return this.scanning;
  }
}
