// Reads objects of a snapshot from the appliance and trusts none of them: every object is
// decompressed into a buffer of its declared size and its SHA-256 checked against the
// digest that was asked for, so a corrupt store or a hostile server cannot feed a restore
// anything but the backed-up bytes.

import { FrameParser, type ObjectHeader } from '../../../core/src/objects/frame.js';
import { Codec, MAX_OBJECT_BYTES, zstdBound } from '../../../core/src/objects/kinds.js';
import { Zstd } from '../../../core/src/compress/zstd.js';
import { digestKey, sha256, toHex } from '../../../core/src/objects/digest.js';
import { HavenError } from '../../../core/src/errors.js';
import type { HttpTransport } from '../api/http-transport.js';
import { setTimeout } from 'node:timers/promises';

/** The appliance's limit for one POST .../objects. */
export const MAX_OBJECTS_PER_REQUEST = 4096;
const READ_KINDS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5]);
const STORAGE_RETRY_PAUSE_MS = 500;

export type ObjectHandler = (index: number, raw: Buffer, header: ObjectHeader) => void | Promise<void>;

export interface FetcherOptions {
  /**
   * The raw bytes handed to a handler are valid only during its call (they are decompressed
   * into one buffer used again for the next object): for readers that verify and drop, like
   * `check --read-data`, which otherwise allocated every chunk's raw bytes afresh.
   */
  transientRaw?: boolean;
}

export class ObjectFetcher {
  private readonly zstd = new Zstd();
  private scratch = Buffer.allocUnsafeSlow(0);

  constructor(private readonly api: HttpTransport, readonly snapshot: string, private readonly options: FetcherOptions = {}) {}

  private decompress(payload: Uint8Array, rawLength: number): Buffer {
    if (!this.options.transientRaw) return this.zstd.decompress(payload, rawLength);
    // One spare byte, as Zstd.decompress keeps: output past the declared length fails.
    if (this.scratch.length < rawLength + 1) this.scratch = Buffer.allocUnsafeSlow(Math.max(rawLength + 1, this.scratch.length * 2, 1 << 20));
    this.zstd.decompressInto(this.scratch, payload, rawLength);
    return this.scratch.subarray(0, rawLength);
  }

  /** Decompresses and verifies one object against the digest it was asked for. */
  verify(expected: Uint8Array, h: ObjectHeader, payload: Uint8Array): Buffer {
    if (!Buffer.from(h.digest).equals(Buffer.from(expected))) {
      throw new HavenError('OBJECT_CORRUPT', { digest: toHex(expected), detail: `the server sent ${toHex(h.digest)} instead` });
    }
    let raw: Buffer;
    try {
      raw = h.codec === Codec.zstd ? this.decompress(payload, h.rawLength) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    } catch (err) {
      throw new HavenError('OBJECT_CORRUPT', { digest: toHex(expected), detail: (err as Error).message });
    }
    if (!sha256(raw).equals(Buffer.from(expected))) throw new HavenError('OBJECT_CORRUPT', { digest: toHex(expected), detail: 'content does not match the digest' });
    return raw;
  }

  /** One object by a single GET (the server decompresses; the digest is checked here). */
  async one(digest: Uint8Array): Promise<Buffer> {
    const raw = await this.api.object(this.snapshot, toHex(digest));
    if (!sha256(raw).equals(Buffer.from(digest))) throw new HavenError('OBJECT_CORRUPT', { digest: toHex(digest), detail: 'content does not match the digest' });
    return raw;
  }

  /**
   * Fetches one request's worth of objects (at most MAX_OBJECTS_PER_REQUEST). The appliance
   * sends them in storage order, so each frame is matched to the request by its digest;
   * `onObject` gets the index of the digest it answers (every index, also of duplicates).
   *
   * A response that breaks off (the appliance could not read on: its disk failed past the
   * first records it sent) is asked again for what never came. The appliance reads the
   * first records of a request before it answers, so a fault that persists comes back as
   * its typed error (STORAGE_IO, naming the segment) rather than another cut; a retry that
   * brings nothing ends the fetch, so the retries are bounded by the objects asked for. That
   * error is asked once more after a pause (the appliance already read twice): a transient
   * fault costs a restore nothing, a failing sector ends it with the segment named.
   */
  async batch(digests: readonly Uint8Array[], onObject: ObjectHandler, indexBase = 0): Promise<void> {
    if (digests.length === 0) return;
    const want = new Map<string, number[]>();
    digests.forEach((d, i) => {
      const k = digestKey(d);
      const list = want.get(k);
      if (list) list.push(i);
      else want.set(k, [i]);
    });
    let storageRetried = false;
    for (;;) {
      const asked = [...want.keys()].map((k) => Buffer.from(k, 'latin1'));
      const outcome = await this.attempt(asked, digests, want, onObject, indexBase).catch(async (err: unknown) => {
        if (storageRetried || !(err instanceof HavenError && err.code === 'STORAGE_IO')) throw err;
        storageRetried = true;
        await setTimeout(STORAGE_RETRY_PAUSE_MS);
        return null;
      });
      if (outcome === null) continue;
      const { got, cut } = outcome;
      if (cut === null) return;
      if (got === 0) {
        throw new HavenError('RESPONSE_INVALID', { what: `a request for ${asked.length} object(s) of snapshot ${this.snapshot}`, detail: `it broke off before the first object (${cut.message})` });
      }
    }
  }

  /** One request for `asked`; answers how many objects came, and the error that cut the response short, if one did. */
  private async attempt(
    asked: readonly Uint8Array[], digests: readonly Uint8Array[], want: Map<string, number[]>, onObject: ObjectHandler, indexBase: number,
  ): Promise<{ got: number; cut: Error | null }> {
    const res = await this.api.objects(this.snapshot, Buffer.concat(asked));
    const done: Array<[ObjectHeader, Uint8Array]> = [];
    const parser = new FrameParser(
      { begin: (h) => Buffer.allocUnsafe(h.storedLength), end: (h, payload) => done.push([h, payload]) },
      // Views of the body's chunks only where the bytes are dropped after the handler's call:
      // a restore's raw views would keep whole chunks alive while its writes queue.
      { maxStored: zstdBound(MAX_OBJECT_BYTES), allowedKinds: READ_KINDS, chunksKept: this.options.transientRaw === true },
    );
    const chunks = (res as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    let got = 0;
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        return { got, cut: err as Error };
      }
      if (next.done) break;
      parser.push(next.value);
      for (const [h, payload] of done.splice(0)) {
        const k = Buffer.from(h.digest).toString('latin1');
        const indexes = want.get(k);
        if (!indexes) throw new HavenError('OBJECT_CORRUPT', { digest: toHex(h.digest), detail: 'the server sent an object that was not asked for' });
        want.delete(k);
        got++;
        const raw = this.verify(digests[indexes[0] as number] as Uint8Array, h, payload);
        for (const i of indexes) await onObject(indexBase + i, raw, h);
      }
    }
    parser.finish();
    const [missing] = want.keys();
    if (missing !== undefined) throw new HavenError('OBJECT_CORRUPT', { digest: toHex(Buffer.from(missing, 'latin1')), detail: 'missing from the stream' });
    return { got, cut: null };
  }

  /** Fetches any number of objects, in order, in requests of MAX_OBJECTS_PER_REQUEST. */
  async many(digests: readonly Uint8Array[], onObject: ObjectHandler): Promise<void> {
    for (let i = 0; i < digests.length; i += MAX_OBJECTS_PER_REQUEST) {
      await this.batch(digests.slice(i, i + MAX_OBJECTS_PER_REQUEST), onObject, i);
    }
  }
}
