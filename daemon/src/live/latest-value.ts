// The latest value of a state that is costly to read (the pool's status runs btrfs commands):
// read once at start, then replaced by each event that carries it. The live hub's full state
// must be taken synchronously, so it reads these instead of asking their owners.

import type { HavenEvents } from '../../../core/src/api/events.js';
import type { EventBus, EventName } from '../events.js';

export class LatestValue<K extends EventName> {
  private value: HavenEvents[K] | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly event: K,
    private readonly read: () => Promise<HavenEvents[K] | null>,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  async start(): Promise<void> {
    this.bus.on(this, this.event, (v) => (this.value = v));
    try {
      // an event that arrived while reading is newer than what was read
      const first = await this.read();
      this.value ??= first;
    } catch (err) {
      this.log.warn({ err, event: this.event }, 'cannot read the initial state for the live view');
    }
  }

  stop(): void {
    this.bus.removeListeners(this);
  }

  get(): HavenEvents[K] | null {
    return this.value;
  }
}
