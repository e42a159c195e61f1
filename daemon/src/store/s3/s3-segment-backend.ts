// Segments in an S3 bucket (datastore.backend = s3). What is where:
//
//   local   the LMDB index, the open segment, sealed segments not yet uploaded (the upload
//           queue) and a cache of uploaded segments bounded by cacheBytes (least recently
//           opened evicted first)
//   bucket  <prefix>haven-datastore.json and <prefix>segments/NNN/NNNNNNNN.seg: every sealed
//           segment, so snapshot records and tombstones (records like any other) too
//
// Upload order: a sealed segment is read whole, PUT (multipart past one part), read back
// with HEAD and its length and ETag compared with what the bytes must give; only then is it
// recorded in the index's `uploaded` table and its file counts as cache. A crash before that
// leaves the file and no entry: attach() queues it again at the next start. Uploads run one
// at a time behind ingest; ingest is refused (STORAGE_BACKEND_UNAVAILABLE) only once the
// queue holds more than queueBytes, so a slow or absent gateway delays durability in the
// bucket, not the acceptance of verified uploads.

import { readFile, rm, writeFile, rename } from 'node:fs/promises';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ObjectStorageStatus } from '../../../../core/src/api/datastore.js';
import { HavenError } from '../../../../core/src/errors.js';
import { IDENTITY_FILE } from '../identity.js';
import { segmentPath } from '../segment-files.js';
import type { SegmentBackend, SegmentBackendHost } from '../segment-backend.js';
import type { SegmentFileSystem } from '../segment-io.js';
import { S3Bucket, type S3Settings } from './s3-bucket.js';
import { s3ReadFs } from './s3-read-fs.js';

export interface S3BackendOptions extends S3Settings {
  cacheBytes: number;
  queueBytes: number;
  idleSealSeconds: number;
  /** Multipart part size (tests use S3's 5 MiB minimum to exercise multipart). */
  partBytes?: number;
}

export interface S3BackendLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}


const DELETE_ATTEMPTS = 5;

export class S3SegmentBackend implements SegmentBackend {
  readonly readFs: SegmentFileSystem;
  private host: SegmentBackendHost | null = null;
  private readonly queue: number[] = [];
  private readonly queuedBytes = new Map<number, number>();
  private uploading: Promise<void> | null = null;
  private readonly lastUsed = new Map<number, number>();
  /** Whole-object fetches into the cache in flight, by segment (several readers share one). */
  private readonly fetching = new Map<number, Promise<void>>();
  private lastAdmit = Date.now();
  private idleTimer: NodeJS.Timeout | null = null;
  private fetchedBytes = 0;
  private lastError: string | null = null;
  private lastErrorAt: string | null = null;
  private closing = false;
  private identityPublished = false;

  constructor(readonly bucket: S3Bucket, private readonly options: S3BackendOptions, private readonly log: S3BackendLog) {
    this.readFs = s3ReadFs(bucket, {
      objectName: (path) => (this.host && path.endsWith('.seg') ? relative(this.host.root, path) : null),
      touched: (path) => {
        const id = segmentIdOf(path);
        if (id !== null) this.lastUsed.set(id, Date.now());
      },
      fetched: (bytes) => {
        this.fetchedBytes += bytes;
      },
      fillableSize: (path) => {
        const id = segmentIdOf(path);
        const entry = id === null || this.closing || !this.host ? undefined : this.host.index.uploaded.get(id);
        return entry && entry.bytes <= this.options.cacheBytes ? entry.bytes : null;
      },
      fill: async (path) => {
        const id = segmentIdOf(path);
        if (id === null) return false;
        await this.ensureLocal(id);
        await this.evict();
        return existsSync(path);
      },
    });
  }

  static async open(options: S3BackendOptions, log: S3BackendLog): Promise<S3SegmentBackend> {
    const bucket = new S3Bucket(options, options.partBytes);
    await bucket.ensureBucket();
    return new S3SegmentBackend(bucket, options, log);
  }

  private get root(): string {
    return (this.host as SegmentBackendHost).root;
  }

  async attach(host: SegmentBackendHost): Promise<void> {
    this.host = host;
    const open = host.position().segment;
    const index = host.index;
    for (const { key } of index.segments.getRange()) {
      const id = key as number;
      if (id >= open || index.uploaded.doesExist(id) || index.retired.doesExist(id)) continue;
      if (existsSync(segmentPath(this.root, id))) this.sealed(id);
    }
    if (this.queue.length > 0) log(this.log, 'info', { segments: [...this.queue] }, `${this.queue.length} sealed segment(s) not yet in the bucket: uploading`);
    // A store rebuilt from the bucket reopens the newest fetched segment for appends, though the
    // bucket holds it already: appends go to a new segment instead, so an uploaded object stays
    // what the bucket holds and the cache's eviction never removes the segment being written.
    if (index.uploaded.doesExist(open) && host.position().offset > 0) await host.sealOpenSegment();
    const idleMs = this.options.idleSealSeconds * 1000;
    this.idleTimer = setInterval(() => void this.sealIfIdle(idleMs), Math.max(250, Math.min(idleMs / 2, 10_000)));
    this.idleTimer.unref();
    this.kick();
    await this.evict();
  }

  /** The identity file goes to the bucket before any segment (a rebuild on a new appliance starts from it). */
  private async publishIdentity(): Promise<void> {
    if (this.identityPublished) return;
    if (await this.bucket.getAll(IDENTITY_FILE) === null) await this.bucket.put(IDENTITY_FILE, await readFile(join(this.root, IDENTITY_FILE)));
    this.identityPublished = true;
  }

  admit(): void {
    this.lastAdmit = Date.now();
    const queued = this.pendingBytes();
    if (queued > this.options.queueBytes) {
      throw new HavenError('STORAGE_BACKEND_UNAVAILABLE', {
        endpoint: this.options.endpoint,
        detail: `${queued} bytes of sealed segments wait for upload (limit datastore.s3.queueBytes = ${this.options.queueBytes})${this.lastError ? `; last error: ${this.lastError}` : ''}`,
      });
    }
  }

  pendingBytes(): number {
    let n = 0;
    for (const b of this.queuedBytes.values()) n += b;
    return n;
  }

  sealed(segment: number): void {
    if (this.queuedBytes.has(segment)) return;
    let size = 0;
    try {
      size = statSync(segmentPath(this.root, segment)).size;
    } catch {
      return;
    }
    // already in the bucket as it is (the segment a rebuilt store reopened, sealed unchanged)
    if (this.host?.index.uploaded.get(segment)?.bytes === size) return;
    this.queue.push(segment);
    this.queuedBytes.set(segment, size);
    this.kick();
  }

  private kick(): void {
    if (this.uploading || (this.queue.length === 0 && this.identityPublished) || this.closing) return;
    this.uploading = this.uploadQueued().finally(() => {
      this.uploading = null;
      // A segment sealed while the loop was finishing would otherwise wait for the next seal.
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Uploads the queue in order; a failure leaves it queued and retries after a pause. */
  private async uploadQueued(): Promise<void> {
    let pause = 1000;
    while (this.queue.length > 0 || !this.identityPublished) {
      let id: number | undefined;
      try {
        await this.publishIdentity();
        id = this.queue[0];
        if (id === undefined) return;
        await this.uploadOne(id);
        this.queue.shift();
        this.queuedBytes.delete(id);
        this.lastError = null;
        this.lastErrorAt = null;
        pause = 1000;
        await this.evict();
      } catch (err) {
        this.lastError = (err as Error).message;
        this.lastErrorAt = new Date().toISOString();
        log(this.log, 'warn', { segment: id, err: this.lastError }, `segment ${id} upload failed; retrying in ${pause / 1000} s`);
        if (this.closing) return;
        await new Promise((r) => setTimeout(r, pause).unref());
        if (this.closing) return;
        pause = Math.min(pause * 2, 30_000);
      }
    }
  }

  private async uploadOne(id: number): Promise<void> {
    const host = this.host as SegmentBackendHost;
    if (host.index.retired.doesExist(id) || !existsSync(segmentPath(this.root, id))) return;
    const body = await readFile(segmentPath(this.root, id));
    const etag = await this.bucket.putVerified(this.objectName(id), body);
    await host.index.uploaded.put(id, { bytes: body.length, etag });
    this.lastUsed.set(id, Date.now());
  }

  private objectName(id: number): string {
    return relative(this.root, segmentPath(this.root, id));
  }

  /** Removes the least recently opened uploaded segments' files until the cache fits. */
  private async evict(): Promise<void> {
    const host = this.host as SegmentBackendHost;
    const cached = this.cached();
    let total = cached.reduce((n, c) => n + c.bytes, 0);
    cached.sort((a, b) => (this.lastUsed.get(a.id) ?? 0) - (this.lastUsed.get(b.id) ?? 0));
    for (const c of cached) {
      if (total <= this.options.cacheBytes) break;
      await host.forgetHandle(c.id);
      await rm(segmentPath(this.root, c.id), { force: true });
      // A read that opened the file between the two steps would keep reading the unlinked file
      // (its space not freed, the cache bound not held) for as long as its handle stays cached.
      await host.forgetHandle(c.id);
      this.lastUsed.delete(c.id);
      total -= c.bytes;
    }
  }

  /** Uploaded segments with a local file, never the one being written. */
  private cached(): Array<{ id: number; bytes: number }> {
    const host = this.host as SegmentBackendHost;
    const open = host.position().segment;
    const out: Array<{ id: number; bytes: number }> = [];
    for (const { key, value } of host.index.uploaded.getRange()) {
      if (key !== open && existsSync(segmentPath(this.root, key as number))) out.push({ id: key as number, bytes: value.bytes });
    }
    return out;
  }

  private async sealIfIdle(idleMs: number): Promise<void> {
    const host = this.host;
    if (!host || this.closing || host.position().offset === 0 || Date.now() - this.lastAdmit < idleMs) return;
    await host.sealOpenSegment().catch((err: unknown) => log(this.log, 'warn', { err: (err as Error).message }, 'sealing the idle open segment failed'));
  }

  async ensureLocal(segment: number): Promise<void> {
    const path = segmentPath(this.root, segment);
    this.lastUsed.set(segment, Date.now());
    if (existsSync(path)) return;
    let fetch = this.fetching.get(segment);
    if (!fetch) {
      fetch = this.fetchWhole(segment, path).finally(() => this.fetching.delete(segment));
      this.fetching.set(segment, fetch);
    }
    await fetch;
  }

  private async fetchWhole(segment: number, path: string): Promise<void> {
    const body = await this.bucket.getAll(this.objectName(segment));
    if (body === null) throw new HavenError('STORAGE_IO', { detail: `segment ${segment} is neither local nor in bucket ${this.bucket.bucket}` });
    this.fetchedBytes += body.length;
    mkdirSync(dirname(path), { recursive: true });
    await writeFile(`${path}.part`, body);
    await rename(`${path}.part`, path);
    this.lastUsed.set(segment, Date.now());
  }

  objectBytes(segment: number): number {
    return this.host?.index.uploaded.get(segment)?.bytes ?? 0;
  }

  /** Deletes compacted segments' objects, retrying; one that still fails is logged and left as an orphan. */
  async removed(segments: readonly number[]): Promise<void> {
    const host = this.host as SegmentBackendHost;
    for (const id of segments) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.bucket.delete(this.objectName(id));
          break;
        } catch (err) {
          log(this.log, 'warn', { segment: id, attempt, err: (err as Error).message }, `deleting segment ${id} from the bucket failed (attempt ${attempt} of ${DELETE_ATTEMPTS})`);
          if (attempt === DELETE_ATTEMPTS) break;
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
      await host.index.uploaded.remove(id);
      this.queuedBytes.delete(id);
      const at = this.queue.indexOf(id);
      if (at > 0) this.queue.splice(at, 1);
    }
  }

  /**
   * Orphans: objects under segments/ listed first, each then checked against a fresh read of
   * the index. An object is an orphan only when its segment is below the open one and has no
   * `segments`, `uploaded` or `retired` entry and is not in the upload queue (which holds a
   * segment until its `uploaded` entry is written): a live segment always has one of these.
   */
  async sweepOrphans(): Promise<{ objects: number; bytes: number }> {
    const host = this.host as SegmentBackendHost;
    const listed = await this.bucket.list('segments/');
    let objects = 0;
    let bytes = 0;
    for (const { name, size } of listed) {
      const id = segmentIdOf(name);
      if (id === null || this.closing) continue;
      const index = host.index;
      const known = id >= host.position().segment || this.queuedBytes.has(id) || index.segments.doesExist(id) || index.uploaded.doesExist(id) || index.retired.doesExist(id);
      if (known) continue;
      await this.bucket.delete(name);
      log(this.log, 'info', { segment: id, bytes: size }, `deleted orphan object ${name} (segment ${id}, known to no index entry)`);
      objects++;
      bytes += size;
    }
    return { objects, bytes };
  }

  status(): ObjectStorageStatus {
    const host = this.closing ? null : this.host; // after close the index is closed too
    const cached = host ? this.cached() : [];
    const pendingBytes = this.pendingBytes();
    const openBytes = host?.position().offset ?? 0;
    return {
      backend: 's3',
      endpoint: this.options.endpoint,
      bucket: this.options.bucket,
      prefix: this.options.prefix,
      pendingSegments: this.queue.length,
      pendingBytes,
      openBytes,
      notUploadedBytes: pendingBytes + openBytes,
      cachedBytes: cached.reduce((n, c) => n + c.bytes, 0),
      cachedSegments: cached.length,
      cacheBytes: this.options.cacheBytes,
      uploadedSegments: host ? host.index.uploaded.getKeysCount() : 0,
      fetchedBytes: this.fetchedBytes,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
    };
  }

  /** Waits for the queue to drain (bounded by the request timeout per pending segment, at most a minute more). */
  async drain(limitMs: number): Promise<boolean> {
    const until = Date.now() + limitMs;
    while (this.queue.length > 0 && Date.now() < until) {
      this.kick();
      await Promise.race([this.uploading ?? Promise.resolve(), new Promise((r) => setTimeout(r, 200))]);
    }
    return this.queue.length === 0;
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    const drained = await this.drain(Math.min(this.options.requestTimeoutMs, 60_000));
    if (!drained) log(this.log, 'warn', { segments: this.queue.length }, `${this.queue.length} sealed segment(s) not uploaded at stop; they go at the next start`);
    this.closing = true;
    await this.uploading;
    this.bucket.close();
  }
}

function segmentIdOf(path: string): number | null {
  const m = /(\d{8,})\.seg$/.exec(path);
  return m ? Number(m[1]) : null;
}

function log(logger: S3BackendLog, level: 'info' | 'warn', obj: object, msg: string): void {
  logger[level](obj, msg);
}

