// A webhook receiver for notification tests: a node http server on 127.0.0.1 that records
// every POST with whether its X-Haven-Signature-256 is the HMAC-SHA256 of the body under the
// shared secret. It can be closed and opened again on the same port (a target that is down).

import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface ReceivedHook {
  body: Record<string, unknown>;
  verified: boolean;
  event: string | undefined;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** Stops answering (connections are refused). */
  down(): Promise<void>;
  /** Answers again on the same port. */
  up(): Promise<void>;
}

function verify(secret: string, raw: Buffer, header: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startWebhookReceiver(t: TestContext, secret: string): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  let server: http.Server | null = null;
  let port = 0;
  const up = async (): Promise<void> => {
    const s = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const header = req.headers['x-haven-signature-256'];
        received.push({
          body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
          verified: verify(secret, raw, typeof header === 'string' ? header : undefined),
          event: typeof req.headers['x-haven-event'] === 'string' ? req.headers['x-haven-event'] : undefined,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const down = async (): Promise<void> => {
    const s = server;
    server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await up();
  t.after(down);
  return { url: `http://127.0.0.1:${port}/hook`, received, down, up };
}
