// An HTTP proxy on 127.0.0.1 in front of a real havend that flips one byte of the first
// frame stream (POST /snapshots/:id/objects) that runs long enough: a network that damages
// data in flight, or a source that serves a damaged record. Everything else passes as is.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface FlipProxy {
  url: string;
  /** Bytes flipped so far (at most one). */
  flipped(): number;
}

/** Flips the byte at `offset` of the first object stream whose body reaches it. */
export async function flipProxy(t: TestContext, target: string, offset: number): Promise<FlipProxy> {
  const to = new URL(target);
  let flipped = 0;
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      const damage = flipped === 0 && req.method === 'POST' && /\/objects$/.test(req.url ?? '');
      let seen = 0;
      up.on('data', (chunk: Buffer) => {
        if (damage && flipped === 0 && seen <= offset && offset < seen + chunk.length) {
          chunk = Buffer.from(chunk);
          chunk[offset - seen] = (chunk[offset - seen] as number) ^ 0x01;
          flipped++;
        }
        seen += chunk.length;
        res.write(chunk);
      });
      up.on('end', () => res.end());
      up.on('error', () => res.destroy());
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, flipped: () => flipped };
}
