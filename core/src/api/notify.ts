// Notifications on the wire (issue 15): targets (a webhook or an SMTP mailbox), each with the
// rule that decides which alerts reach it, and the outbox that delivers them with retries.

import { Type, type Static } from 'typebox';
import { GroupName } from './common.js';
import { AlertSeverity } from './jobs.js';

export const TargetName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' });

/** Which alerts reach a target; every given condition must hold. */
export const NotifyRule = Type.Object(
  {
    /** Lowest severity sent (default warning). */
    minSeverity: Type.Optional(AlertSeverity),
    /** Alert kinds (the key's part before ':', e.g. `rpo.breach`); `rpo.*` matches a prefix. Empty or absent: all. */
    kinds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 })),
    /** Groups; an alert that names no group never matches a rule with groups. Empty or absent: all. */
    groups: Type.Optional(Type.Array(GroupName, { maxItems: 256 })),
  },
  { additionalProperties: false },
);
export type NotifyRule = Static<typeof NotifyRule>;

export const WebhookTarget = Type.Object(
  {
    kind: Type.Literal('webhook'),
    url: Type.String({ pattern: '^https?://', maxLength: 2000 }),
    /** A file holding the HMAC-SHA256 key (read at each send, so it can be rotated in place). */
    secretFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  },
  { additionalProperties: false },
);

export const Address = Type.String({ pattern: '^[^\\s@<>]+@[^\\s@<>]+$', maxLength: 320 });

export const SmtpTarget = Type.Object(
  {
    kind: Type.Literal('smtp'),
    host: Type.String({ minLength: 1, maxLength: 255 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** Implicit TLS (port 465); otherwise STARTTLS is used when the server offers it. */
    secure: Type.Optional(Type.Boolean()),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    /** A file holding the SMTP password (needs `user`). */
    passwordFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    from: Address,
    to: Type.Array(Address, { minItems: 1, maxItems: 32 }),
  },
  { additionalProperties: false },
);

export const TargetChannel = Type.Union([WebhookTarget, SmtpTarget]);
export type TargetChannel = Static<typeof TargetChannel>;

/** PUT /api/v1/notify/targets/:name */
export const NotifyTargetInput = Type.Object({ channel: TargetChannel, rule: Type.Optional(NotifyRule) }, { additionalProperties: false });
export type NotifyTargetInput = Static<typeof NotifyTargetInput>;

export const NotifyTarget = Type.Object({
  name: TargetName,
  channel: TargetChannel,
  rule: NotifyRule,
  created: Type.String(),
  updated: Type.String(),
});
export type NotifyTarget = Static<typeof NotifyTarget>;

export const NotifyTargetParams = Type.Object({ name: TargetName });

/** What a message says happened; `event`: news that is neither raised nor resolved (a scheduled report summary). */
export const NotificationStatus = Type.Union([Type.Literal('raised'), Type.Literal('resolved'), Type.Literal('test'), Type.Literal('event')]);
export type NotificationStatus = Static<typeof NotificationStatus>;

/** The body of a webhook (JSON) and the facts of an e-mail. */
export const Notification = Type.Object({
  /** The message id: a receiver drops a repeat (delivery is at least once). */
  id: Type.String(),
  /** The alert's kind, e.g. `rpo.breach`, `disk.smart`; `test` for a test send. */
  kind: Type.String(),
  status: NotificationStatus,
  severity: AlertSeverity,
  group: Type.Union([GroupName, Type.Null()]),
  /** The plan entry's RPO state for `rpo.*` alerts (BREACH when raised, OK once a backup resolved it); else null. */
  state: Type.Union([Type.String(), Type.Null()]),
  subject: Type.String(),
  message: Type.String(),
  alertId: Type.Union([Type.String(), Type.Null()]),
  /** ISO 8601: when the alert was raised or resolved. */
  at: Type.String(),
  appliance: Type.String(),
});
export type Notification = Static<typeof Notification>;

export const OutboxState = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);

export const OutboxMessage = Type.Object({
  id: Type.String(),
  target: TargetName,
  notification: Notification,
  state: OutboxState,
  attempts: Type.Integer(),
  /** ISO 8601: the next try while pending. */
  nextAttempt: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  created: Type.String(),
  delivered: Type.Union([Type.String(), Type.Null()]),
});
export type OutboxMessage = Static<typeof OutboxMessage>;

export const NotifyList = Type.Object({ targets: Type.Array(NotifyTarget) });
export type NotifyList = Static<typeof NotifyList>;

export const OutboxList = Type.Object({ messages: Type.Array(OutboxMessage) });
export type OutboxList = Static<typeof OutboxList>;

/** POST /api/v1/notify/targets/:name/test: delivered straight away, not through the outbox. */
export const TestSendResult = Type.Object({ target: TargetName, delivered: Type.Boolean(), error: Type.Union([Type.String(), Type.Null()]) });
export type TestSendResult = Static<typeof TestSendResult>;
