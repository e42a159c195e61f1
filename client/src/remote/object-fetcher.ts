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

/** The appliance's limit for one POST .../objects. */
export const MAX_OBJECTS_PER_REQUEST = 4096;
const READ_KINDS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5]);

export type ObjectHandler = (index: number, raw: Buffer, header: ObjectHeader) => void | Promise<void>;

export class ObjectFetcher {
  private readonly zstd = new Zstd();

  constructor(private readonly api: HttpTransport, readonly snapshot: string) {}

  /** Decompresses and verifies one object against the digest it was asked for. */
  verify(expected: Uint8Array, h: ObjectHeader, payload: Uint8Array): Buffer {
    if (!Buffer.from(h.digest).equals(Buffer.from(expected))) {
      throw new HavenError('OBJECT_CORRUPT', { digest: toHex(expected), detail: `the server sent ${toHex(h.digest)} instead` });
    }
    let raw: Buffer;
    try {
      raw = h.codec === Codec.zstd ? this.zstd.decompress(payload, h.rawLength) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
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
    const res = await this.api.objects(this.snapshot, Buffer.concat(digests));
    const done: Array<[ObjectHeader, Uint8Array]> = [];
    const parser = new FrameParser(
      { begin: (h) => Buffer.allocUnsafe(h.storedLength), end: (h, payload) => done.push([h, payload]) },
      { maxStored: zstdBound(MAX_OBJECT_BYTES), allowedKinds: READ_KINDS },
    );
    for await (const chunk of res as AsyncIterable<Buffer>) {
      parser.push(chunk);
      for (const [h, payload] of done.splice(0)) {
        const k = Buffer.from(h.digest).toString('latin1');
        const indexes = want.get(k);
        if (!indexes) throw new HavenError('OBJECT_CORRUPT', { digest: toHex(h.digest), detail: 'the server sent an object that was not asked for' });
        want.delete(k);
        const raw = this.verify(digests[indexes[0] as number] as Uint8Array, h, payload);
        for (const i of indexes) await onObject(indexBase + i, raw, h);
      }
    }
    parser.finish();
    const [missing] = want.keys();
    if (missing !== undefined) throw new HavenError('OBJECT_CORRUPT', { digest: toHex(Buffer.from(missing, 'latin1')), detail: 'missing from the stream' });
  }

  /** Fetches any number of objects, in order, in requests of MAX_OBJECTS_PER_REQUEST. */
  async many(digests: readonly Uint8Array[], onObject: ObjectHandler): Promise<void> {
    for (let i = 0; i < digests.length; i += MAX_OBJECTS_PER_REQUEST) {
      await this.batch(digests.slice(i, i + MAX_OBJECTS_PER_REQUEST), onObject, i);
    }
  }
}
