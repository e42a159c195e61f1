// HTTP proxies on 127.0.0.1 in front of a real havend, for the object streams of replication
// (POST /snapshots/:id/objects): one flips one byte of the first stream that runs long
// enough (a network that damages data in flight), one counts the bytes those streams carry
// (what a pull fetched over the wire, whichever side is killed meanwhile). Everything else
// passes as is. The target may restart on its port: the proxy keeps its own URL.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import type { TestContext } from 'node:test';

/** Sees each chunk of an object stream's response body (and may replace it); `seen` counts the bytes before it. */
type OnObjectChunk = (chunk: Buffer, seen: number) => Buffer;

/** Object streams stop flowing while `held` is set; each stopped chunk's pass is called when it is lifted. */
interface Valve {
  held: boolean;
  stopped: Array<() => void>;
}

async function objectStreamProxy(t: TestContext, target: string, onChunk: OnObjectChunk, valve?: Valve): Promise<string> {
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (!(req.method === 'POST' && /\/objects$/.test(req.url ?? ''))) {
        up.pipe(res);
      } else {
        let seen = 0;
        // pipe() gives backpressure end to end: the source sends no faster than the offsite takes
        const relay = new Transform({
          transform(chunk: Buffer, _enc, done) {
            const out = onChunk(chunk, seen);
            seen += chunk.length;
            if (valve?.held) valve.stopped.push(() => done(null, out));
            else done(null, out);
          },
        });
        up.pipe(relay).pipe(res);
      }
      // a source gone (killed) cuts the response; an offsite gone stops the reading
      up.on('error', () => res.destroy());
      up.on('aborted', () => res.destroy());
      res.on('close', () => up.destroy());
    });
    upstream.on('error', () => res.destroy());
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface FlipProxy {
  url: string;
  /** Bytes flipped so far (at most one). */
  flipped(): number;
}

/** Flips the byte at `offset` of the first object stream whose body reaches it. */
export async function flipProxy(t: TestContext, target: string, offset: number): Promise<FlipProxy> {
  let flipped = 0;
  const url = await objectStreamProxy(t, target, (chunk, seen) => {
    if (flipped > 0 || !(seen <= offset && offset < seen + chunk.length)) return chunk;
    const out = Buffer.from(chunk);
    out[offset - seen] = (out[offset - seen] as number) ^ 0x01;
    flipped++;
    return out;
  });
  return { url, flipped: () => flipped };
}

export interface CountingProxy {
  url: string;
  /** Bytes of object streams relayed so far (frames: payloads and their headers). */
  objectBytes(): number;
  /**
   * Resolves once `bytes` have been relayed in all, and from then on holds every object
   * stream until `release()`: a loopback transfer is too fast to catch a moment of by polling.
   */
  holdAt(bytes: number): Promise<void>;
  release(): void;
}

export async function countingProxy(t: TestContext, target: string): Promise<CountingProxy> {
  let total = 0;
  const valve: Valve = { held: false, stopped: [] };
  let hold: { at: number; reached: () => void } | null = null;
  const url = await objectStreamProxy(t, target, (chunk) => {
    total += chunk.length;
    if (hold && total >= hold.at) {
      valve.held = true;
      hold.reached();
      hold = null;
    }
    return chunk;
  }, valve);
  return {
    url,
    objectBytes: () => total,
    holdAt: (at) => new Promise<void>((resolve) => {
      hold = { at, reached: resolve };
    }),
    release: () => {
      valve.held = false;
      hold = null;
      for (const resume of valve.stopped.splice(0)) resume();
    },
  };
}
