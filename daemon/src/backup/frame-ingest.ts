// One upload stream of framed objects: parse -> batch into shared arenas -> verify in the
// worker pool (decompress + SHA-256 + CRC, no copies) -> append to the store -> flush.
// Nothing becomes visible before its digest is verified and its record is durable.
//
// A stream that ends mid-frame, or is cut by the client, loses only the torn frame: complete
// frames before it are verified, appended and flushed, so the client's next run can reuse
// them (DESIGN section 3). The first bad frame (wrong digest, bad codec, ...) ends the stream
// with a typed error; objects that verified before it stay indexed, nothing wrong ever is.
// Each batch of new objects is admitted by the datastore's free-space reserve before it is
// verified (space-reserve.ts): below the reserve the stream ends with STORAGE_FULL.
// A stream that stalls or trickles inside a frame (slow-loris) holds an arena of the shared
// pool; past the frame timeout it ends with UPLOAD_STALLED and its connection is destroyed.

import type { Readable } from 'node:stream';
import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import { FrameParser, type FrameSink, type ObjectHeader } from '../../../core/src/objects/frame.js';
import { CLIENT_KINDS } from '../../../core/src/objects/kinds.js';
import type { ChunksResponse } from '../../../core/src/api/backup.js';
import type { UploadSpace } from '../store/space-reserve.js';
import type { ObjectStore } from '../store/store-api.js';
import type { AppendItem } from '../store/segment-writer.js';
import type { Arena } from '../workers/arena-pool.js';
import type { VerifyPool } from '../workers/verify-pool.js';
import { DESCRIPTOR_FIELDS, VerifyStatus, type VerifyResult } from '../workers/verify-task.js';

export interface IngestOptions {
  maxFrameBytes: number;
  syncEveryBytes: number;
  /** Batches in verification at once for this stream. */
  maxInFlight?: number;
  /**
   * A frame must arrive whole within this long of its first byte, counted while the stream
   * flows (0: no limit). Between frames a stream may idle: the client is chunking files
   * whose objects the appliance already has.
   */
  frameTimeoutMs?: number;
}

export interface IngestDeps {
  store: ObjectStore;
  pool: VerifyPool;
  /** The free-space reserve: client uploads only, so it is asked here and nowhere else. */
  space: UploadSpace;
  /** Called after each appended batch with the running totals. */
  onProgress?: (totals: ChunksResponse) => void;
  /** Called for each verified object once it is appended, or found stored already (`duplicate`). */
  onStored?: (header: ObjectHeader, duplicate: boolean) => void;
}

interface Item {
  header: ObjectHeader;
  offset: number;
  streamOffset: number;
  complete: boolean;
  duplicate: boolean;
}

interface Batch {
  arena: Arena;
  used: number;
  items: Item[];
}

/**
 * A batch that does not fill its arena goes to verification after this long anyway: trees
 * arrive a few at a time, and each is checked as soon as it is stored (tree-precheck.ts),
 * which it cannot be while it waits for the stream's end.
 */
const BATCH_MAX_WAIT_MS = 50;

function asHavenError(err: unknown): HavenError {
  return err instanceof HavenError ? err : new HavenError('STORAGE_IO', { detail: (err as Error).message });
}

export class FrameIngest implements FrameSink {
  readonly totals: ChunksResponse = { frames: 0, objectsNew: 0, objectsDuplicate: 0, bytesReceived: 0, bytesNew: 0 };
  rawBytesNew = 0;
  private batch: Batch | null = null;
  /** An arena held in reserve, so begin() can start a new batch without waiting. */
  private next: Arena | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: HavenError | null = null;
  private unflushed = 0;
  private flushing: Promise<void> | null = null;
  private readonly parser: FrameParser;
  private readonly maxInFlight: number;
  private batchTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: IngestDeps, private readonly options: IngestOptions) {
    this.parser = new FrameParser(this, { maxStored: options.maxFrameBytes, allowedKinds: CLIENT_KINDS });
    this.maxInFlight = options.maxInFlight ?? 4;
  }

  private get arenas() {
    return this.deps.pool.arenas;
  }

  // FrameSink: the parser asks where to put each payload; we carve it out of the arena.
  begin(header: ObjectHeader, streamOffset: number): Uint8Array {
    let b = this.batch;
    if (b && b.used + header.storedLength > b.arena.size) {
      this.submit();
      b = null;
    }
    if (!b) {
      let arena: Arena;
      if (header.storedLength > this.arenas.arenaBytes) arena = this.arenas.oversize(header.storedLength);
      else {
        // read() takes a reserve before feeding bytes that may begin a frame; the fallback only guards
        // against a second new batch within one socket chunk (many tiny frames).
        arena = this.next ?? this.arenas.tryAcquire() ?? this.arenas.oversize(this.arenas.arenaBytes);
        this.next = null;
      }
      b = { arena, used: 0, items: [] };
      this.batch = b;
      this.submitLater(b);
    }
    const item: Item = { header, offset: b.used, streamOffset, complete: false, duplicate: false };
    b.items.push(item);
    b.used += header.storedLength;
    return b.arena.bytes.subarray(item.offset, item.offset + header.storedLength);
  }

  end(header: ObjectHeader): void {
    const b = this.batch as Batch;
    const item = b.items[b.items.length - 1] as Item;
    item.complete = true;
    // Already stored: no need to spend SHA-256 on bytes we will not keep.
    item.duplicate = this.deps.store.isIndexed(header.digest);
    this.totals.frames++;
    this.totals.bytesReceived += header.storedLength;
  }

  /** Consumes the whole stream; resolves with totals or rejects with a typed error. */
  async run(source: Readable, shutdown?: AbortSignal): Promise<ChunksResponse> {
    const streamError = await this.read(source, shutdown);
    // Whatever happened, complete frames are verified, stored and made durable.
    if (this.batch) {
      this.batch.items = this.batch.items.filter((i) => i.complete);
      this.submit();
    }
    if (this.next) this.arenas.release(this.next);
    this.next = null;
    await Promise.all(this.inFlight);
    await this.flushing;
    try {
      await this.deps.store.flush();
    } catch (err) {
      this.failure ??= asHavenError(err);
    }
    if (this.failure) throw this.failure;
    if (streamError instanceof HavenError) throw streamError;
    if (streamError) throw new HavenError('FRAME_TORN', { offset: this.parser.offset }, { cause: streamError });
    return this.totals;
  }

  /**
   * Feeds the stream to the parser with backpressure: the socket pauses while this stream
   * has maxInFlight batches in verification, or while no arena is free for a new batch.
   * On the first error it stops parsing but keeps draining the body for a while, so the
   * client reads a typed error response instead of a connection reset.
   *
   * A stream never waits for an arena while holding one it cannot let go: the rest of a
   * payload already begun goes into the place its batch gave it without waiting, and only the
   * bytes after it (which may begin a new batch) wait, kept aside, for an arena. Its batch then
   * holds complete frames only and goes to verification, which frees it. (Waiting mid-frame
   * instead held the batch open: once every arena sat in such a batch, every upload stream of
   * the daemon waited for the others for good.) An idle stream gives its reserve back
   * (submitLater), so streams that wait on their client hold no arena either.
   */
  private read(source: Readable, shutdown?: AbortSignal): Promise<unknown> {
    return new Promise((resolve) => {
      let settled = false;
      /** Bytes received that wait for an arena (the socket is paused meanwhile). */
      let aside: Buffer | null = null;
      /** The body ended while bytes waited aside: the end is handled once they are parsed. */
      let endedAside = false;
      // On shutdown the stream stops being read at once; its complete frames are still stored.
      const onShutdown = (): void => finish(new HavenError('SHUTTING_DOWN'));
      const frameMs = this.options.frameTimeoutMs ?? 0;
      let deadline: NodeJS.Timeout | null = null;
      let deadlineFrame = -1;
      const disarm = (): void => {
        if (deadline) clearTimeout(deadline);
        deadline = null;
      };
      // Armed per frame while it is under way and the stream flows; while this side pauses
      // the stream (backpressure) the client cannot send, so the clock restarts on resume.
      const watch = (flowing: boolean): void => {
        if (frameMs === 0 || !flowing || !this.parser.midFrame) return disarm();
        if (deadline && deadlineFrame === this.parser.frames) return;
        disarm();
        deadlineFrame = this.parser.frames;
        deadline = setTimeout(() => {
          deadline = null;
          finish(new HavenError('UPLOAD_STALLED', { ms: frameMs }));
          source.destroy(); // not drained: a trickling client would hold the connection
        }, frameMs);
      };
      const finish = (err: unknown): void => {
        if (settled) return;
        settled = true;
        disarm();
        aside = null;
        shutdown?.removeEventListener('abort', onShutdown);
        source.off('data', onData);
        source.off('end', onEnd);
        source.off('error', onError);
        source.off('close', onClose);
        if (err !== null || this.failure) drain(source);
        resolve(err);
      };
      const push = (bytes: Buffer): boolean => {
        try {
          this.parser.push(bytes);
        } catch (err) {
          finish(err);
          return false;
        }
        if (this.failure) finish(null);
        return !settled;
      };
      /** Parses what it can of `chunk`; false when the stream ended or must wait for an arena. */
      const feed = (chunk: Buffer): boolean => {
        const own = Math.min(this.parser.payloadRemaining, chunk.length);
        if (own > 0 && !push(chunk.subarray(0, own))) return false;
        if (own === chunk.length) return true;
        this.next ??= this.arenas.tryAcquire();
        if (!this.next) {
          aside = chunk.subarray(own);
          return false;
        }
        return push(chunk.subarray(own));
      };
      const resumeWhenReady = (): void => {
        if (settled) return;
        if (this.failure) return finish(null);
        if (this.inFlight.size >= this.maxInFlight) {
          void Promise.race(this.inFlight).then(resumeWhenReady);
          return;
        }
        if (aside) {
          if (!this.next) {
            void this.arenas.acquire().then((a) => {
              if (settled) this.arenas.release(a);
              else {
                this.next = a;
                resumeWhenReady();
              }
            });
            return;
          }
          const bytes = aside;
          aside = null;
          if (!feed(bytes)) return resumeWhenReady();
        }
        if (endedAside) return end();
        source.resume();
        watch(true);
      };
      const onData = (chunk: Buffer): void => {
        if (feed(chunk) && this.inFlight.size < this.maxInFlight) return watch(true);
        if (settled) return;
        source.pause();
        watch(false);
        resumeWhenReady();
      };
      const end = (): void => {
        try {
          if (!this.failure) this.parser.finish();
          finish(null);
        } catch (err) {
          finish(err);
        }
      };
      // A paused body still ends once its last chunk was delivered: bytes set aside come first.
      const onEnd = (): void => {
        if (aside) endedAside = true;
        else end();
      };
      const onError = (err: Error): void => finish(err);
      // 'close' without 'end': the client went away mid-stream.
      const onClose = (): void => {
        if (!endedAside) finish(new Error('connection closed before the end of the stream'));
      };
      if (shutdown?.aborted) return onShutdown();
      shutdown?.addEventListener('abort', onShutdown, { once: true });
      source.on('data', onData);
      source.on('end', onEnd);
      source.on('error', onError);
      source.on('close', onClose);
    });
  }

  /** Submits `b` after BATCH_MAX_WAIT_MS if it is still open then, between two frames. */
  private submitLater(b: Batch): void {
    this.batchTimer = setTimeout(() => {
      this.batchTimer = null;
      if (this.batch !== b) return;
      // A frame still arriving writes into this arena: wait for it.
      if (!(b.items[b.items.length - 1] as Item).complete) return this.submitLater(b);
      this.submit();
      // No batch filled within BATCH_MAX_WAIT_MS: the stream is slow or idle, and its reserve
      // goes back to the pool (bytes that begin a new batch take one again).
      if (this.next) this.arenas.release(this.next);
      this.next = null;
    }, BATCH_MAX_WAIT_MS);
  }

  private submit(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    const b = this.batch;
    this.batch = null;
    if (!b) return;
    const work = this.process(b)
      .catch((err: unknown) => {
        this.failure ??= asHavenError(err);
      })
      .finally(() => this.arenas.release(b.arena));
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async process(b: Batch): Promise<void> {
    const toVerify = b.items.filter((i) => i.complete && !i.duplicate);
    this.totals.objectsDuplicate += b.items.length - toVerify.length;
    if (toVerify.length === 0) return;
    // Before verifying: a refused batch costs no SHA-256. Duplicates found at append are
    // charged too (rare: another stream stored them meanwhile); settle() gives the bytes back.
    const bytes = toVerify.reduce((n, i) => n + i.header.storedLength, 0);
    const admission = await this.deps.space.admit({ objects: toVerify.length, bytes });
    try {
      await this.verifyAndAppend(toVerify, b);
    } finally {
      admission.settle();
    }
  }

  private async verifyAndAppend(toVerify: Item[], b: Batch): Promise<void> {
    const descriptors = new Uint32Array(toVerify.length * DESCRIPTOR_FIELDS);
    const digests = new Uint8Array(toVerify.length * 32);
    toVerify.forEach((item, i) => {
      descriptors.set([item.offset, item.header.storedLength, item.header.rawLength, item.header.codec], i * DESCRIPTOR_FIELDS);
      digests.set(item.header.digest, i * 32);
    });
    const result: VerifyResult = await this.deps.pool.verify({ arena: b.arena.shared, descriptors, digests });
    const good: AppendItem[] = [];
    toVerify.forEach((item, i) => {
      const status = result.status[i] as number;
      if (status === VerifyStatus.ok) {
        good.push({
          header: item.header,
          payloadCrc: result.crcs[i] as number,
          payload: b.arena.bytes.subarray(item.offset, item.offset + item.header.storedLength),
        });
      } else {
        this.failure ??= this.verifyError(status, item);
      }
    });
    if (good.length > 0) {
      const written = await this.deps.store.append(good);
      written.forEach((w, i) => {
        const h = (good[i] as AppendItem).header;
        this.deps.onStored?.(h, !w);
        if (w) {
          this.totals.objectsNew++;
          this.totals.bytesNew += h.storedLength;
          this.rawBytesNew += h.rawLength;
          this.unflushed += h.storedLength;
        } else {
          this.totals.objectsDuplicate++;
        }
      });
    }
    this.deps.onProgress?.(this.totals);
    if (this.unflushed >= this.options.syncEveryBytes && !this.flushing) {
      // Periodic durability inside a long stream; at most one outstanding flush per stream.
      this.unflushed = 0;
      this.flushing = this.deps.store
        .flush()
        .catch((err: unknown) => {
          this.failure ??= asHavenError(err);
        })
        .finally(() => {
          this.flushing = null;
        });
    }
  }

  private verifyError(status: number, item: Item): HavenError {
    const digest = toHex(item.header.digest);
    if (status === VerifyStatus.lengthMismatch) {
      return new HavenError('LENGTH_MISMATCH', { digest, declared: item.header.rawLength });
    }
    if (status === VerifyStatus.undecodable) {
      return new HavenError('FRAME_MALFORMED', { offset: item.streamOffset, detail: 'zstd payload cannot be decoded' });
    }
    return new HavenError('DIGEST_MISMATCH', { digest });
  }
}

/** After an error: read and discard what the client is still sending, up to a bound. */
const DRAIN_LIMIT = 64 * 1024 * 1024;
function drain(source: Readable): void {
  let drained = 0;
  source.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT) source.destroy();
  });
  source.on('error', () => undefined);
  source.resume();
}
