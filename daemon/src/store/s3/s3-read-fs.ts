// The read side of the S3 backend as a SegmentFileSystem: a segment whose local file exists
// (the open one, one not yet uploaded, or one in the cache) is read from disk; any other is
// read with ranged GETs, one per record span (SegmentReader reads a span in one call).
//
// Cache fill: a handle counts the bytes asked of its segment; once a read would bring that
// past FILL_FRACTION of the object (a restore or a verification walking the segment, or spans
// wide enough that ranged GETs would fetch it several times over), the backend fetches the
// whole object into the cache (if it fits in cacheBytes at all) and the handle reads the
// local file from then on.

import { existsSync } from 'node:fs';
import { nodeSegmentFs, type SegmentFileSystem, type SegmentHandle } from '../segment-io.js';
import type { S3Bucket } from './s3-bucket.js';

/** Share of a segment's bytes asked by ranged reads after which the whole object is fetched into the cache. */
export const FILL_FRACTION = 0.5;

export interface ReadFsHooks {
  /** The object name of the segment file at `path`, or null when it is no segment. */
  objectName(path: string): string | null;
  /** A local file was opened for reading (the cache's recency). */
  touched(path: string): void;
  /** Bytes read from the bucket. */
  fetched(bytes: number): void;
  /** The object's size when its whole fetch may go into the cache (it fits), else null. */
  fillableSize(path: string): number | null;
  /** Fetches the whole object into the cache; answers whether the local file is there now. */
  fill(path: string): Promise<boolean>;
}

export function s3ReadFs(bucket: S3Bucket, hooks: ReadFsHooks): SegmentFileSystem {
  return {
    async open(path, flags, mode) {
      const name = hooks.objectName(path);
      if (flags !== 'r' || name === null || existsSync(path)) {
        if (name !== null) hooks.touched(path);
        return nodeSegmentFs.open(path, flags, mode);
      }
      return rangedHandle(bucket, path, name, hooks);
    },
  };
}

function rangedHandle(bucket: S3Bucket, path: string, name: string, hooks: ReadFsHooks): SegmentHandle {
  const readOnly = (): Promise<never> => Promise.reject(Object.assign(new Error(`${name} is read-only`), { code: 'EROFS' }));
  let asked = 0;
  let local: Promise<SegmentHandle | null> | null = null;
  /** The local file once the read pattern warrants fetching the whole object (null: keep ranged GETs). */
  const localFor = (length: number): Promise<SegmentHandle | null> | null => {
    if (local) return local;
    asked += length;
    const size = hooks.fillableSize(path);
    if (size === null || asked < size * FILL_FRACTION) return null;
    local = hooks.fill(path).then(
      (present) => (present ? nodeSegmentFs.open(path, 'r') : null),
      () => null, // the fill failed: ranged GETs go on (their own errors are the reads')
    );
    return local;
  };
  return {
    async read(buffer, offset, length, position) {
      if (length === 0) return { bytesRead: 0 };
      const fh = await localFor(length);
      if (fh) return fh.read(buffer, offset, length, position);
      const bytesRead = await bucket.readRange(name, position, length, buffer, offset);
      hooks.fetched(bytesRead);
      return { bytesRead };
    },
    write: readOnly,
    writev: readOnly,
    truncate: readOnly,
    datasync: readOnly,
    // Never waits for a fill under way. A fill ends with an eviction; two fills at once (reads
    // keep several spans in flight) may each evict the other's segment, and closing its handle
    // would then wait for the other fill, which waits for its own eviction: a check
    // --read-data against a small cache hung so in a CI run. The local file is closed once
    // the fill lands.
    close: async () => {
      const pending = local;
      local = Promise.resolve(null);
      void pending?.then((fh) => fh?.close(), () => undefined);
    },
  };
}
