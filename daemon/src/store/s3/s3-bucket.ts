// The datastore's bucket, through the AWS SDK v3. Every request carries a deadline: a full
// Ceph cluster does not refuse a PUT, it never answers it (the lab's finding), so a request
// that outlives `requestTimeoutMs` is abandoned and surfaces as STORAGE_BACKEND_UNAVAILABLE.
// Path-style addressing (RGW serves no virtual hosts here) and checksums only where the API
// requires them (Ceph 16 predates the SDK's default CRC32 trailers).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import {
  CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HavenError } from '../../../../core/src/errors.js';
import { readS3Credentials } from './s3-credentials.js';

export interface S3Settings {
  endpoint: string;
  bucket: string;
  prefix: string;
  region: string;
  credentialsFile: string;
  caFile: string;
  requestTimeoutMs: number;
}

/** Multipart part size: S3's minimum is 5 MiB, and a 64 MiB segment goes up in 4 parts. */
export const PART_BYTES = 16 * 1024 * 1024;

export class S3Bucket {
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings, private readonly partBytes = PART_BYTES) {
    if (settings.endpoint === '' || settings.bucket === '') {
      throw new HavenError('CONFIG_INVALID', { detail: 'datastore.backend is s3 but datastore.s3.endpoint or datastore.s3.bucket is empty' });
    }
    // Haven runs on Node 20 (Debian's); the SDK's notice that its 2027 releases need Node 22
    // would otherwise land in the journal at every start. The pinned release works on 20.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const ca = settings.caFile ? readFileSync(settings.caFile) : undefined;
    this.client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: true,
      credentials: readS3Credentials(settings.credentialsFile),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: settings.requestTimeoutMs,
        requestTimeout: settings.requestTimeoutMs,
        ...(ca ? { httpsAgent: new Agent({ ca }) } : {}),
      }),
    });
    // The signature covers the headers but not a SHA-256 of every uploaded byte: that hash
    // was a fifth of the upload path's CPU on the main thread, where ingest runs, and the
    // content is checked anyway by the length and ETag comparison after each upload.
    this.client.middlewareStack.add((next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    }, { step: 'build', name: 'havenUnsignedPayload' });
  }

  get endpoint(): string {
    return this.settings.endpoint;
  }

  get bucket(): string {
    return this.settings.bucket;
  }

  key(name: string): string {
    return this.settings.prefix + name;
  }

  /** Runs one request with the deadline; failures become typed errors. */
  private async request<T>(what: string, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.settings.requestTimeoutMs);
    try {
      return await send(signal);
    } catch (err) {
      if (err instanceof HavenError) throw err;
      const detail = signal.aborted ? `${what}: no answer within ${this.settings.requestTimeoutMs} ms` : `${what}: ${describe(err)}`;
      throw new HavenError('STORAGE_BACKEND_UNAVAILABLE', { endpoint: this.settings.endpoint, detail }, { cause: err });
    }
  }

  /** Creates the bucket unless it exists. */
  async ensureBucket(): Promise<void> {
    const Bucket = this.settings.bucket;
    const exists = await this.request('HEAD bucket', (abortSignal) => this.client.send(new HeadBucketCommand({ Bucket }), { abortSignal }))
      .then(() => true, (err: HavenError) => {
        if (statusOf(err.cause) === 404) return false;
        throw err;
      });
    if (!exists) {
      await this.request('create bucket', (abortSignal) => this.client.send(new CreateBucketCommand({ Bucket }), { abortSignal }))
        .catch((err: HavenError) => {
          if (statusOf(err.cause) !== 409) throw err; // created meanwhile by someone else
        });
    }
  }

  /**
   * Uploads `body` (multipart when it is larger than one part), then checks with a HEAD that
   * the object has the length and the ETag `body` must produce: the MD5 of a single PUT, or
   * the MD5 of the parts' MD5s with the part count for a multipart upload (RGW 16 has neither
   * the SHA-256 nor the CRC checksum headers). Answers the ETag.
   */
  async putVerified(name: string, body: Buffer): Promise<string> {
    const Key = this.key(name);
    const Bucket = this.settings.bucket;
    await this.request(`upload ${Key}`, (signal) => {
      if (body.length <= this.partBytes) {
        return this.client.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.length }), { abortSignal: signal });
      }
      const abortController = new AbortController();
      signal.addEventListener('abort', () => abortController.abort(), { once: true });
      return new Upload({ client: this.client, params: { Bucket, Key, Body: body }, partSize: this.partBytes, queueSize: 2, leavePartsOnError: false, abortController }).done();
    });
    const want = expectedEtag(body, this.partBytes);
    const head = await this.request(`HEAD ${Key}`, (abortSignal) => this.client.send(new HeadObjectCommand({ Bucket, Key }), { abortSignal }));
    const got = (head.ETag ?? '').replace(/"/g, '');
    if (head.ContentLength !== body.length || got !== want) {
      throw new HavenError('STORAGE_BACKEND_UNAVAILABLE', {
        endpoint: this.settings.endpoint,
        detail: `${Key} reads back as ${head.ContentLength ?? '?'} bytes with ETag ${got}, not ${body.length} bytes with ${want}`,
      });
    }
    return got;
  }

  /**
   * Reads bytes [start, start + length) of an object into `into` at `at`, straight from the
   * response stream (no collected copy of the body); answers how many bytes came (fewer
   * when the object ends first).
   */
  async readRange(name: string, start: number, length: number, into: Uint8Array, at: number): Promise<number> {
    const Key = this.key(name);
    return this.request(`GET ${Key}`, async (abortSignal) => {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key, Range: `bytes=${start}-${start + length - 1}` }), { abortSignal });
      let got = 0;
      for await (const chunk of out.Body as AsyncIterable<Buffer>) {
        const take = Math.min(chunk.length, length - got);
        into.set(chunk.subarray(0, take), at + got);
        got += take;
      }
      return got;
    });
  }

  /** A whole object, or null when it does not exist. */
  async getAll(name: string): Promise<Buffer | null> {
    const Key = this.key(name);
    return this.request(`GET ${Key}`, async (abortSignal) => {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key }), { abortSignal });
      const bytes = await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }).catch((err: HavenError) => {
      if (statusOf(err.cause) === 404) return null;
      throw err;
    });
  }

  /** Writes a small object (the identity file). */
  async put(name: string, body: Buffer): Promise<void> {
    const Key = this.key(name);
    await this.request(`PUT ${Key}`, (abortSignal) => this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key, Body: body }), { abortSignal }));
  }

  async delete(name: string): Promise<void> {
    const Key = this.key(name);
    await this.request(`DELETE ${Key}`, (abortSignal) => this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key }), { abortSignal }));
  }

  /** Names (without the prefix) of every object under `under`, with their sizes. */
  async list(under: string): Promise<Array<{ name: string; size: number }>> {
    const out: Array<{ name: string; size: number }> = [];
    let token: string | undefined;
    do {
      const page = await this.request('LIST', (abortSignal) =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.key(under), ContinuationToken: token }), { abortSignal }));
      for (const o of page.Contents ?? []) out.push({ name: (o.Key ?? '').slice(this.settings.prefix.length), size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  close(): void {
    this.client.destroy();
  }
}

/** The ETag S3 gives an object uploaded whole (≤ one part) or in `partBytes` parts. */
export function expectedEtag(body: Buffer, partBytes: number): string {
  if (body.length <= partBytes) return createHash('md5').update(body).digest('hex');
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += partBytes) parts.push(createHash('md5').update(body.subarray(at, at + partBytes)).digest());
  return `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`;
}

function statusOf(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

function describe(err: unknown): string {
  if (err instanceof S3ServiceException) return `${err.name} (HTTP ${err.$metadata.httpStatusCode ?? '?'})`;
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
