// One entry point for sending a notification to a target, whatever its channel.

import type { Notification, TargetChannel } from '../../../core/src/api/notify.js';
import { sendMail } from './smtp.js';
import { sendWebhook } from './webhook.js';

/** A send that has not finished by then has failed (the outbox retries it). */
export const SEND_TIMEOUT_MS = 15_000;

export type Send = (channel: TargetChannel, n: Notification) => Promise<void>;

export const sendNotification: Send = (channel, n) =>
  channel.kind === 'webhook' ? sendWebhook(channel, n, SEND_TIMEOUT_MS) : sendMail(channel, n, SEND_TIMEOUT_MS);
