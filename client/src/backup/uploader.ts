// Gets objects onto the appliance with as little traffic as possible: asks `has` in batches,
// compresses only what is missing (and of that only what a probe says will shrink), and writes frames into one long upload stream (the
// appliance makes them durable at least every datastore.syncEveryBytes and at the end), packed
// into a few blocks that are used again once the socket has sent them (frame-blocks.ts).
// One Uploader per thread: the content workers each own one, the main thread one for trees
// and lists, so the session runs several streams in parallel.

import type http from 'node:http';
import { Zstd } from '../../../core/src/compress/zstd.js';
import { digestKey } from '../../../core/src/objects/digest.js';
import { Codec, type ObjectKind } from '../../../core/src/objects/kinds.js';
import type { HttpTransport } from '../api/http-transport.js';
import { CompressionProbe } from './compression-probe.js';
import { FrameBlocks } from './frame-blocks.js';

export interface PendingObject {
  kind: ObjectKind;
  digest: Buffer;
  raw: Uint8Array;
}

export interface UploaderOptions {
  /** zstd level for data (trees and lists always use it too). */
  level: number;
  maxHasDigests: number;
  /** Size of a block of frames: a larger frame goes out in a buffer of its own. */
  blockBytes: number;
}

/** Blocks written and not yet sent by the socket, beyond which sending waits. */
const BLOCKS_OUTGOING = 2;

export interface UploadTotals {
  /** Objects asked about, found present, and sent. */
  queried: number;
  present: number;
  sent: number;
  /** Raw bytes of the objects sent, and bytes on the wire (after compression). */
  rawSent: number;
  storedSent: number;
  /** Upload streams the appliance confirmed durable. */
  streamsConfirmed: number;
}

/** Compression that saves less than this fraction is not worth the appliance's decompression. */
const MIN_SAVING = 1 / 32;

export class Uploader {
  private readonly zstd = new Zstd();
  private readonly probe = new CompressionProbe(this.zstd, MIN_SAVING);
  /** Digests known present or already sent in this session (latin1 keys). */
  private readonly known = new Set<string>();
  private readonly blocks: FrameBlocks;
  private request: http.ClientRequest | null = null;
  private response: Promise<unknown> | null = null;
  private failure: Error | null = null;
  readonly totals: UploadTotals = { queried: 0, present: 0, sent: 0, rawSent: 0, storedSent: 0, streamsConfirmed: 0 };

  constructor(private readonly api: HttpTransport, private readonly session: string, private readonly options: UploaderOptions) {
    this.blocks = new FrameBlocks(options.blockBytes, BLOCKS_OUTGOING);
  }

  /** Marks digests as present without asking (e.g. the previous snapshot's trees). */
  assumePresent(digest: Uint8Array): void {
    this.known.add(digestKey(digest));
  }

  /**
   * Makes sure each object is on the appliance: skips those known, asks `has` about the
   * rest, uploads the missing ones. Resolves once they are handed to the stream; from then
   * on nothing here refers to their raw bytes.
   */
  async put(objects: PendingObject[]): Promise<void> {
    const fresh: PendingObject[] = [];
    for (const o of objects) {
      const key = o.digest.toString('latin1');
      if (this.known.has(key)) continue;
      this.known.add(key);
      fresh.push(o);
    }
    for (let i = 0; i < fresh.length; i += this.options.maxHasDigests) {
      const batch = fresh.slice(i, i + this.options.maxHasDigests);
      const bitmap = await this.api.has(this.session, Buffer.concat(batch.map((o) => o.digest)));
      this.totals.queried += batch.length;
      for (let j = 0; j < batch.length; j++) {
        if (((bitmap[j >> 3] as number) >> (j & 7)) & 1) {
          this.totals.present++;
          continue;
        }
        await this.send(batch[j] as PendingObject);
      }
    }
    // Nothing waits on the client: the appliance verifies and stores what was put.
    if (this.request) this.blocks.seal(this.request);
  }

  /**
   * The frame, header and payload, is copied into the stream's blocks (frame-blocks.ts), raw
   * payloads too, so once put() resolves nothing here refers to an object's raw bytes and the
   * caller may reuse the memory they sit in (content-worker.ts reads into recycled windows).
   */
  private async send(o: PendingObject): Promise<void> {
    if (this.failure) throw this.failure;
    let codec: Codec = Codec.none;
    let stored: Uint8Array = o.raw;
    if (o.raw.length >= 64 && this.probe.worthCompressing(o.raw)) {
      const z = this.zstd.compressInScratch(o.raw, this.options.level);
      if (z.length <= o.raw.length * (1 - MIN_SAVING)) {
        codec = Codec.zstd;
        stored = z;
      }
    }
    const req = this.openStream();
    this.blocks.append(req, { kind: o.kind, codec, rawLength: o.raw.length, storedLength: stored.length, digest: o.digest }, stored);
    this.totals.sent++;
    this.totals.rawSent += o.raw.length;
    this.totals.storedSent += stored.length;
    const wait = this.blocks.roomy();
    if (wait) await Promise.race([wait, this.failed()]);
  }

  private openStream(): http.ClientRequest {
    if (this.request) return this.request;
    let opened: http.ClientRequest | null = null;
    this.response = this.api.uploadFramesRaw(this.session, (req) => {
      opened = req;
    });
    const req = opened as http.ClientRequest | null;
    if (!req) throw new Error('the upload request was not opened');
    this.request = req;
    // A refused stream (bad frame, full disk) surfaces at the next write or at finish.
    this.response.catch((err: unknown) => {
      this.failure = err instanceof Error ? err : new Error(String(err));
      req.destroy();
    });
    return req;
  }

  private failed(): Promise<never> {
    return (this.response as Promise<unknown>).then(() => {
      throw new Error('upload stream ended early');
    });
  }

  /** Ends the stream and waits for the appliance to confirm everything in it is durable. */
  async finish(): Promise<UploadTotals> {
    if (this.request && this.response) {
      this.blocks.seal(this.request);
      this.request.end();
      await this.response;
      this.totals.streamsConfirmed++;
      this.request = null;
      this.response = null;
    }
    if (this.failure) throw this.failure;
    return this.totals;
  }
}
