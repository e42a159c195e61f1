// Notices disks coming and going (DESIGN section 5). Kernel uevents (`udevadm monitor
// --kernel`, which needs no udev daemon, only the netlink socket) give near-instant notice
// where the kernel delivers them; a poll of /sys/block (a fingerprint of names, sizes,
// diskseq and loop backing files: a few small reads) covers machines and containers where
// they are not delivered. Either one triggers the same rescan.

import type { Logger } from 'pino';
import type { CommandWatcher, Watch } from '../exec/watch.js';
import type { Sysfs } from './sysfs.js';

export interface HotplugOptions {
  pollMs: number;
  /** More to watch (the replay directory's listing in fixture-backed runs). */
  extraFingerprint?: () => string;
  /** Coalesces bursts of uevents (a partition table produces several). */
  debounceMs?: number;
}

export class Hotplug {
  private watch: Watch | null = null;
  private poll: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private last = '';
  usingUevents = false;

  constructor(
    private readonly sysfs: Sysfs,
    private readonly watcher: CommandWatcher | null,
    private readonly onChange: () => void,
    private readonly log: Logger,
    private readonly options: HotplugOptions,
  ) {}

  start(): void {
    this.last = this.fingerprint();
    if (this.watcher) {
      this.usingUevents = true;
      this.watch = this.watcher.watch('udevadm', ['monitor', '--kernel', '--subsystem-match=block'], (line) => {
        if (/^KERNEL\[[\d.]+\]\s+(add|remove|change)\s/.test(line)) this.soon();
      }, (reason) => {
        this.usingUevents = false;
        this.watch = null;
        this.log.info({ reason }, 'kernel uevents unavailable; polling /sys/block for hotplug');
      });
    }
    this.poll = setInterval(() => {
      const fp = this.fingerprint();
      if (fp !== this.last) this.soon();
    }, this.options.pollMs);
    this.poll.unref();
  }

  stop(): void {
    this.watch?.stop();
    this.watch = null;
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
    this.poll = this.debounce = null;
  }

  private fingerprint(): string {
    return `${this.sysfs.fingerprint()}#${this.options.extraFingerprint?.() ?? ''}`;
  }

  private soon(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.last = this.fingerprint();
      this.onChange();
    }, this.options.debounceMs ?? 150);
    this.debounce.unref();
  }
}
