// The notifications area (issue 15): targets, the persistent outbox and the notifier that
// fills it from alerts. It starts after the plan area (messages carry RPO states) and before
// the HTTP area; at stop the notifier stops listening first, then the outbox finishes the
// send in flight (what is left stays pending for the next start).

import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import { outboxFamilies } from '../metrics/plan-metrics.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { sendNotification } from '../notify/channels.js';
import { Notifier } from '../notify/notifier.js';
import { Outbox } from '../notify/outbox.js';
import { TargetStore } from '../notify/target-store.js';
import type { StateDb } from '../state/state-db.js';

export interface NotifyAreaDeps {
  config: Config['notify'];
  state: StateDb;
  bus: EventBus;
  metrics: Pick<MetricsRegistry, 'register'>;
  rpoState: (group: string) => string | null;
  now: () => number;
  log: Logger;
}

export function notifyArea(deps: NotifyAreaDeps) {
  const targets = new TargetStore(deps.state, deps.now);
  const outbox = new Outbox(
    { state: deps.state, target: (name) => targets.get(name), send: sendNotification, now: deps.now, log: deps.log },
    { retryBaseMs: deps.config.retryBaseSeconds * 1000, retryMaxMs: deps.config.retryMaxSeconds * 1000, giveUpMs: deps.config.giveUpHours * 3_600_000 },
  );
  const notifier = new Notifier({ bus: deps.bus, targets, outbox, send: sendNotification, rpoState: deps.rpoState, now: deps.now, log: deps.log });
  let unregister = (): void => {};
  return {
    name: 'notify',
    targets, outbox, notifier,
    start(): void {
      outbox.start();
      notifier.start();
      unregister = deps.metrics.register('notify', () => outboxFamilies(outbox.counts()));
    },
    async stop(): Promise<void> {
      unregister();
      notifier.stop();
      await outbox.stop();
    },
  };
}
