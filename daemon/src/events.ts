// A typed event bus (after zigbee2mqtt's lib/eventBus.ts): the event map lives in core so
// the WebSocket and the UI share one definition; listeners are registered per owner and
// removed together on stop; a throwing listener is logged and cannot take the others down.

import type { HavenEvents } from '../../core/src/api/events.js';

export type EventName = keyof HavenEvents;
type Listener<K extends EventName> = (payload: HavenEvents[K]) => void;
type AnyListener = (name: EventName, payload: HavenEvents[EventName]) => void;

interface Registration {
  owner: object;
  name: EventName | '*';
  fn: (...args: never[]) => void;
}

export class EventBus {
  private registrations: Registration[] = [];

  constructor(private readonly onListenerError: (err: unknown, name: EventName) => void) {}

  on<K extends EventName>(owner: object, name: K, fn: Listener<K>): void {
    this.registrations.push({ owner, name, fn: fn as (...args: never[]) => void });
  }

  /** Every event, in emission order (the WebSocket hub forwards them all). */
  onAny(owner: object, fn: AnyListener): void {
    this.registrations.push({ owner, name: '*', fn: fn as (...args: never[]) => void });
  }

  removeListeners(owner: object): void {
    this.registrations = this.registrations.filter((r) => r.owner !== owner);
  }

  emit<K extends EventName>(name: K, payload: HavenEvents[K]): void {
    for (const r of this.registrations.slice()) {
      try {
        if (r.name === name) (r.fn as Listener<K>)(payload);
        else if (r.name === '*') (r.fn as AnyListener)(name, payload);
      } catch (err) {
        this.onListenerError(err, name);
      }
    }
  }
}
