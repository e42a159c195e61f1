// A stand-in for havend serving a test's hostile snapshots: just enough of docs/PROTOCOL.md
// (health, groups, snapshot listing and lookup, objects one by one or as a frame stream)
// for the real `haven` CLI to log in, resolve `latest` or an id, and read every tree, list
// and chunk. It is what a malicious appliance, or a snapshot pushed by a mere backup token,
// looks like to an admin's restore. `neverAnswer` accepts connections and never says a
// word, for the client's timeouts.
//
// A failure of the stand-in itself (not a refusal it was built to give) fails close(), so a
// broken harness cannot pass for a client that refuses a snapshot.

import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HavenError } from '../../core/src/errors.js';
import type { SnapshotSummary } from '../../core/src/api/snapshots.js';
import { MEDIA_FRAMES } from '../../core/src/api/wire-constants.js';
import { sha256, toHex } from '../../core/src/objects/digest.js';
import { kindName } from '../../core/src/objects/kinds.js';
import { encodeSnapshot } from '../../core/src/objects/snapshot.js';
import { MAX_OBJECTS_PER_REQUEST } from '../../client/src/remote/object-fetcher.js';
import type { ObjectGraph } from './object-graph.js';
import { frameOf, type TestObject } from './objects.js';

export interface HostileSnapshot extends ObjectGraph {
  group: string;
}

export interface HostileServerOptions {
  /** Oldest first: the last one of a group is its `latest`. */
  snapshots?: HostileSnapshot[];
  /** Accept connections and never answer them. */
  neverAnswer?: boolean;
  /** The bearer token it accepts. */
  token?: string;
}

export interface HostileServer {
  url: string;
  token: string;
  /** The summaries it lists, in the order given. */
  snapshots: SnapshotSummary[];
  close(): Promise<void>;
}

interface Served {
  summary: SnapshotSummary;
  objects: ObjectGraph['objects'];
}

const FIRST_SNAPSHOT_MS = 1_700_000_000_000;

/** The summary havend would list, with the id of the snapshot record it would write. */
function summarize(s: HostileSnapshot, index: number): SnapshotSummary {
  const record = { group: s.group, time: FIRST_SNAPSHOT_MS + index * 1000, host: 'hostile', paths: ['/'], tags: [], root: s.root, session: `hostile-${index}`, stats: {} };
  return {
    id: toHex(sha256(encodeSnapshot(record))), group: s.group, time: new Date(record.time).toISOString(), host: record.host,
    paths: record.paths, tags: record.tags, root: toHex(s.root), session: record.session, stats: {},
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    bytes += c.length;
    if (bytes > limit) throw new HavenError('BODY_TOO_LARGE', { limit });
    parts.push(c);
  }
  return Buffer.concat(parts);
}

function resolveRef(served: Served[], ref: string): Served {
  const found = served.filter((s) => s.summary.id.startsWith(ref));
  if (found.length > 1) throw new HavenError('SNAPSHOT_AMBIGUOUS', { id: ref });
  if (!found[0]) throw new HavenError('SNAPSHOT_NOT_FOUND', { id: ref });
  return found[0];
}

function objectOf(s: Served, digest: string): TestObject {
  const o = s.objects.get(digest);
  if (!o) throw new HavenError('OBJECT_NOT_FOUND', { digest });
  return o;
}

/** POST .../objects: each requested object once, as stored (zstd), in request order. */
async function sendFrames(s: Served, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const body = await readBody(req, MAX_OBJECTS_PER_REQUEST * 32);
  if (body.length % 32 !== 0 || body.length === 0) throw new HavenError('HAS_BATCH_INVALID', { max: MAX_OBJECTS_PER_REQUEST });
  const wanted = new Map<string, TestObject>();
  for (let i = 0; i < body.length; i += 32) {
    const hex = toHex(body.subarray(i, i + 32));
    wanted.set(hex, objectOf(s, hex));
  }
  res.writeHead(200, { 'content-type': MEDIA_FRAMES });
  try {
    await pipeline(Readable.from([...wanted.values()].flatMap(frameOf)), res);
  } catch (err) {
    // a client killed mid-stream (a test's deadline) closes the response early: not ours to report
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  }
}

function createHandler(served: Served[], token: string) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? '/', 'http://hostile');
    const get = req.method === 'GET';
    if (get && pathname === '/api/v1/health') return sendJson(res, 200, { status: 'ok', version: 'hostile', datastore: 'hostile' });
    if (req.headers.authorization !== `Bearer ${token}`) throw new HavenError('UNAUTHORIZED');
    if (get && pathname === '/api/v1/groups') {
      const names = [...new Set(served.map((s) => s.summary.group))];
      return sendJson(res, 200, {
        groups: names.map((name) => {
          const list = served.filter((s) => s.summary.group === name);
          return { name, snapshots: list.length, latest: list[list.length - 1]?.summary ?? null };
        }),
      });
    }
    const group = /^\/api\/v1\/groups\/([^/]+)\/snapshots$/.exec(pathname);
    if (get && group) {
      return sendJson(res, 200, { snapshots: served.filter((s) => s.summary.group === decodeURIComponent(group[1] as string)).map((s) => s.summary) });
    }
    const snap = /^\/api\/v1\/snapshots\/([0-9a-f]{6,64})(\/objects(?:\/([0-9a-f]{64}))?)?$/.exec(pathname);
    if (snap) {
      const s = resolveRef(served, snap[1] as string);
      const objects = snap[2] !== undefined;
      const digest = snap[3];
      if (get && !objects) return sendJson(res, 200, s.summary);
      if (get && digest !== undefined) {
        const o = objectOf(s, digest);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-haven-kind': kindName(o.kind) ?? String(o.kind) }).end(o.raw);
        return;
      }
      if (req.method === 'POST' && objects && digest === undefined) return sendFrames(s, req, res);
    }
    throw new HavenError('NOT_FOUND', { method: req.method ?? '', url: pathname });
  };
}

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** Accepts connections, reads whatever comes, answers nothing, until closed. */
async function startSilentServer(token: string): Promise<HostileServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // the client gave up: that is the point
    socket.resume();
  });
  const url = await listen(server);
  return {
    url, token, snapshots: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startHostileServer(options: HostileServerOptions): Promise<HostileServer> {
  const token = options.token ?? 'hvn_hostile';
  if (options.neverAnswer) return startSilentServer(token);
  const served = (options.snapshots ?? []).map((s, i) => ({ summary: summarize(s, i), objects: s.objects }));
  const failures: Error[] = [];
  const handle = createHandler(served, token);
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!(err instanceof HavenError)) failures.push(err as Error);
      const e = err instanceof HavenError ? err : new HavenError('INTERNAL', { requestId: 'hostile' });
      if (!res.headersSent) sendJson(res, e.status, e.toBody('hostile'));
      else res.destroy();
    });
  });
  const url = await listen(server);
  return {
    url, token, snapshots: served.map((s) => s.summary),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (failures.length > 0) throw new AggregateError(failures, `the hostile server itself failed: ${failures.map((f) => f.stack ?? f.message).join('\n')}`);
    },
  };
}
