// Notification targets, their test send, and the outbox (admin only).

import type { NotifyList, NotifyTarget, NotifyTargetInput, NotifyTargetParams, OutboxList, TestSendResult } from '../../../../core/src/api/notify.js';
import type { Notifier } from '../../notify/notifier.js';
import type { Outbox } from '../../notify/outbox.js';
import type { TargetStore } from '../../notify/target-store.js';
import type { Handler } from '../route-types.js';

export interface NotifyRouteDeps {
  targets: TargetStore;
  outbox: Outbox;
  notifier: Notifier;
}

type ByName = { params: typeof NotifyTargetParams };

export function notifyRoutes(deps: NotifyRouteDeps) {
  const { targets, outbox, notifier } = deps;
  const list: Handler = async (): Promise<NotifyList> => ({ targets: targets.list() });
  const set: Handler<ByName & { body: typeof NotifyTargetInput }> = async (req): Promise<NotifyTarget> => targets.set(req.params.name, req.body);
  const remove: Handler<ByName> = async (req, reply) => {
    if (!(await targets.remove(req.params.name))) targets.require(req.params.name); // throws the typed 404
    return reply.code(204).send();
  };
  const test: Handler<ByName> = async (req): Promise<TestSendResult> => notifier.test(req.params.name);
  const messages: Handler = async (): Promise<OutboxList> => ({ messages: outbox.list() });
  return { list, set, remove, test, messages };
}
