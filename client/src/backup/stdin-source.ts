// `haven backup --stdin --name NAME`: standard input as one file, chunked on the main thread
// (there is one stream to read, so workers would only add copies).

import type { ChunkerParams } from '../../../core/src/api/backup.js';
import { createCutter } from '../../../core/src/chunker/cutter.js';
import { sha256 } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import type { PendingObject, Uploader } from './uploader.js';

export async function chunkStdin(input: AsyncIterable<Uint8Array>, params: ChunkerParams, uploader: Uploader): Promise<{ digests: Buffer[]; bytes: number }> {
  const cutter = createCutter(params);
  const max = params.maxSize;
  const digests: Buffer[] = [];
  let pending: PendingObject[] = [];
  let buf = Buffer.allocUnsafe(4 * max);
  let start = 0;
  let end = 0;
  let bytes = 0;
  const cutAvailable = async (eof: boolean): Promise<void> => {
    while (start < end && (eof || end - start >= max)) {
      const len = cutter.cut(buf, start, end);
      const chunk = buf.subarray(start, start + len);
      const digest = sha256(chunk);
      digests.push(digest);
      pending.push({ kind: ObjectKind.data, digest, raw: chunk });
      start += len;
      bytes += len;
    }
    await uploader.put(pending);
    pending = [];
  };
  for await (const piece of input) {
    let at = 0;
    while (at < piece.length) {
      if (end === buf.length) {
        await cutAvailable(false);
        // Uploaded chunks may still be referenced by the stream: continue in a fresh buffer.
        const next = Buffer.allocUnsafe(4 * max);
        buf.copy(next, 0, start, end);
        end -= start;
        start = 0;
        buf = next;
      }
      const n = Math.min(piece.length - at, buf.length - end);
      buf.set(piece.subarray(at, at + n), end);
      end += n;
      at += n;
    }
  }
  await cutAvailable(true);
  return { digests, bytes };
}
