// Webhook delivery: the notification as a JSON body, POSTed; any 2xx is delivered. With a
// secret, `X-Haven-Signature-256: sha256=<hex>` is the HMAC-SHA256 of the exact body bytes
// (the convention GitHub's webhooks made familiar), so a receiver can verify before parsing.

import { createHmac } from 'node:crypto';
import type { Notification } from '../../../core/src/api/notify.js';
import { VERSION } from '../../../core/src/version.js';
import { readSecret } from './target-store.js';

export const SIGNATURE_HEADER = 'x-haven-signature-256';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function sendWebhook(target: { url: string; secretFile?: string | undefined }, n: Notification, timeoutMs: number): Promise<void> {
  const body = JSON.stringify(n);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': `havend/${VERSION}`,
    'x-haven-event': n.kind,
    'x-haven-delivery': n.id,
  };
  if (target.secretFile !== undefined) headers[SIGNATURE_HEADER] = signBody(readSecret(target.secretFile), body);
  const res = await fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  // Drained either way, so the connection is released.
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${target.url}: ${text.slice(0, 200)}`);
}
