// The HTTP layer under ApiClient: requests with the token, keep-alive agents (several upload
// streams share connections), binary digest batches and frame streams. It loads no schema
// library, so worker threads (which only ask `has`, upload and read frames) start fast;
// ApiClient adds the typed, schema-checked JSON calls on top.

import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { HavenError, errorFromBody } from '../../../core/src/errors.js';
import { MEDIA_BITMAP, MEDIA_DIGESTS, MEDIA_FRAMES } from '../../../core/src/api/wire-constants.js';
import { PinnedAgent } from './pinned-agent.js';
import { ConnectLimitedAgent, DEFAULT_REQUEST_TIMEOUTS, limitIdle, type RequestTimeouts } from './request-timeouts.js';

/** Where the appliance is and how to reach it: resolved once by the CLI, handed as is to worker threads. */
export interface ServerConnection {
  /** Base URL, e.g. http://127.0.0.1:8420 */
  server: string;
  token: string;
  /**
   * The appliance's certificate fingerprint (SHA-256 of its DER, any spelling `havend info`
   * or openssl prints). With an https server, a certificate with another fingerprint is
   * refused with TLS_FINGERPRINT_MISMATCH before anything is sent; without a pin, the
   * certificate must verify against the system's CAs.
   */
  fingerprint?: string;
  /** Connect and idle limits of every request; DEFAULT_REQUEST_TIMEOUTS when absent. */
  timeouts?: RequestTimeouts;
}

export interface ApiClientOptions extends ServerConnection {
  /** Most parallel connections (upload streams + has + reads). */
  maxSockets?: number;
  /** Further TLS options for https servers. */
  tls?: https.AgentOptions;
}

/** A function body is handed the request at once and writes and ends it itself. */
type Body = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array> | ((req: http.ClientRequest) => void) | null;

const UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EPIPE)$/;

export class HttpTransport {
  protected readonly base: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly timeouts: RequestTimeouts;

  constructor(protected readonly options: ApiClientOptions) {
    this.base = new URL(options.server);
    const secure = this.base.protocol === 'https:';
    this.transport = secure ? https : http;
    this.timeouts = options.timeouts ?? DEFAULT_REQUEST_TIMEOUTS;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 8 };
    const { origin } = this.base;
    this.agent = secure
      ? new PinnedAgent(origin, options.fingerprint ?? null, this.timeouts.connectMs, { ...agentOptions, ...options.tls })
      : new ConnectLimitedAgent(origin, this.timeouts.connectMs, agentOptions);
  }

  close(): void {
    this.agent.destroy();
  }

  /** Connection-level failures become SERVER_UNREACHABLE; HavenErrors (a failing body stream) pass through. */
  private transportError(err: NodeJS.ErrnoException): Error {
    if (err instanceof HavenError) return err;
    if (err.code && UNREACHABLE.test(err.code)) {
      return new HavenError('SERVER_UNREACHABLE', { server: this.base.origin, detail: err.message }, { cause: err });
    }
    return err;
  }

  /** Sends a request and resolves with the response once headers arrive; errors become HavenError. */
  async request(method: string, path: string, body: Body = null, type?: string, accept?: string): Promise<http.IncomingMessage> {
    const url = new URL(path, this.base);
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${this.options.token}` };
    if (type) headers['content-type'] = type;
    if (accept) headers.accept = accept;
    if (Buffer.isBuffer(body) || body instanceof Uint8Array || typeof body === 'string') headers['content-length'] = Buffer.byteLength(body);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = this.transport.request(url, { method, headers, agent: this.agent }, resolve);
      limitIdle(req, this.timeouts.idleMs, this.base.origin);
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.transportError(err)));
      if (body === null) req.end();
      else if (Buffer.isBuffer(body) || body instanceof Uint8Array || typeof body === 'string') req.end(body);
      else if (typeof body === 'function') body(req);
      else if (body instanceof Readable) {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      } else {
        const src = Readable.from(body, { objectMode: false });
        src.on('error', (err) => req.destroy(err));
        src.pipe(req);
      }
    });
    if ((res.statusCode ?? 500) >= 400) {
      const text = await readAll(res);
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text.toString('utf8'));
      } catch {
        // not JSON: errorFromBody says so
      }
      throw errorFromBody(res.statusCode ?? 500, parsed);
    }
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body === undefined ? null : JSON.stringify(body), body === undefined ? undefined : 'application/json');
    const buf = await readAll(res);
    if (res.statusCode === 204 || buf.length === 0) return undefined as T;
    return JSON.parse(buf.toString('utf8')) as T;
  }

  /** Which of `digests` (32 bytes each, concatenated) the appliance has: one bit per digest, LSB first. */
  async has(session: string, digests: Buffer): Promise<Buffer> {
    const res = await this.request('POST', `/api/v1/backups/${session}/has`, digests, MEDIA_DIGESTS, MEDIA_BITMAP);
    const bitmap = await readAll(res);
    if (bitmap.length !== Math.ceil(digests.length / 32 / 8)) {
      throw new HavenError('RESPONSE_INVALID', { what: 'POST /backups/:id/has', detail: `a bitmap of ${bitmap.length} bytes for ${digests.length / 32} digests` });
    }
    return bitmap;
  }

  /**
   * Streams frames (encoded by the caller) into the session. Resolves once the appliance has
   * made every object of the stream durable; the answer's counters are left unchecked here
   * (ApiClient.uploadFrames checks them).
   */
  async uploadFramesRaw(session: string, frames: Readable | AsyncIterable<Uint8Array> | ((req: http.ClientRequest) => void)): Promise<unknown> {
    const res = await this.request('POST', `/api/v1/backups/${session}/chunks`, frames, MEDIA_FRAMES);
    return JSON.parse((await readAll(res)).toString('utf8'));
  }

  /** One object's raw (decompressed) bytes; the caller verifies the digest. */
  async object(snapshot: string, digestHex: string): Promise<Buffer> {
    return readAll(await this.request('GET', `/api/v1/snapshots/${snapshot}/objects/${digestHex}`));
  }

  /** Many objects as a frame stream, as stored; the caller parses and verifies. */
  async objects(snapshot: string, digests: Buffer): Promise<http.IncomingMessage> {
    return this.request('POST', `/api/v1/snapshots/${snapshot}/objects`, digests, MEDIA_DIGESTS, MEDIA_FRAMES);
  }

  async content(snapshot: string, path: string): Promise<http.IncomingMessage> {
    return this.request('GET', `/api/v1/snapshots/${snapshot}/content?path=${encodeURIComponent(path)}`);
  }
}

export async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

export function isHavenError(err: unknown, code?: string): err is HavenError {
  return err instanceof HavenError && (code === undefined || err.code === code);
}
