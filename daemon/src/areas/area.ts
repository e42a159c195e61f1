// The daemon's lifecycle (zigbee2mqtt's extensions, Fastify's plugins): the composition root
// builds each area from what earlier areas provide, starts it, and at shutdown stops them all
// newest first, so nothing stops while an area started after it may still use it.
//
// An area's factory acquires what later areas are built from (an open database, a mounted
// pool, an open datastore) and does nothing else; start() begins its activity (listeners,
// timers, listening sockets); stop() ends the activity and releases what the factory acquired.

import type { Clock } from '../clock.js';

export interface Area {
  /** Names the area in logs. */
  readonly name: string;
  /** Begins the area's work. A start that fails undoes its own partial work before throwing. */
  start(): Promise<void> | void;
  /** Ends the area's work and releases what it holds; called once, after a successful start. */
  stop(): Promise<void> | void;
}

export interface StopFailure {
  area: string;
  error: unknown;
}

interface RunnerLog {
  debug(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class AreaRunner {
  /** Started areas, oldest first. */
  private readonly started: Area[] = [];

  constructor(private readonly deps: { clock: Clock; log: RunnerLog }) {}

  /**
   * Starts `area` after those already started and returns it (so its products can be read by
   * the next factory). If its start fails, every area started before it is stopped, newest
   * first, and the start's error is thrown.
   */
  async start<A extends Area>(area: A): Promise<A> {
    const began = this.deps.clock.now();
    try {
      await area.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.deps.log.debug({ area: area.name, ms: this.deps.clock.now() - began }, 'area started');
    this.started.push(area);
    return area;
  }

  /**
   * Stops every started area, newest first. A stop that fails is logged and the others still
   * stop: a failed flush of one area must not leave the datastore or the pid file behind.
   * Resolves to the failures (empty when all stopped cleanly); a second call stops nothing.
   */
  async stop(): Promise<StopFailure[]> {
    const failures: StopFailure[] = [];
    for (const area of this.started.splice(0).reverse()) {
      const began = this.deps.clock.now();
      try {
        await area.stop();
        this.deps.log.debug({ area: area.name, ms: this.deps.clock.now() - began }, 'area stopped');
      } catch (error) {
        this.deps.log.error({ err: error, area: area.name }, 'shutdown step failed');
        failures.push({ area: area.name, error });
      }
    }
    return failures;
  }

  /** Names of the started areas, in start order. */
  names(): string[] {
    return this.started.map((a) => a.name);
  }
}
