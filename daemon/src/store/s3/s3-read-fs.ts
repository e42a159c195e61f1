// The read side of the S3 backend as a SegmentFileSystem: a segment whose local file exists
// (the open one, one not yet uploaded, or one in the cache) is read from disk; any other is
// read with ranged GETs, one per record span (SegmentReader reads a span in one call).

import { existsSync } from 'node:fs';
import { nodeSegmentFs, type SegmentFileSystem, type SegmentHandle } from '../segment-io.js';
import type { S3Bucket } from './s3-bucket.js';

export interface ReadFsHooks {
  /** The object name of the segment file at `path`, or null when it is no segment. */
  objectName(path: string): string | null;
  /** A local file was opened for reading (the cache's recency). */
  touched(path: string): void;
  /** Bytes read from the bucket. */
  fetched(bytes: number): void;
}

export function s3ReadFs(bucket: S3Bucket, hooks: ReadFsHooks): SegmentFileSystem {
  return {
    async open(path, flags, mode) {
      const name = hooks.objectName(path);
      if (flags !== 'r' || name === null || existsSync(path)) {
        if (name !== null) hooks.touched(path);
        return nodeSegmentFs.open(path, flags, mode);
      }
      return rangedHandle(bucket, name, hooks);
    },
  };
}

function rangedHandle(bucket: S3Bucket, name: string, hooks: ReadFsHooks): SegmentHandle {
  const readOnly = (): Promise<never> => Promise.reject(Object.assign(new Error(`${name} is read-only`), { code: 'EROFS' }));
  return {
    async read(buffer, offset, length, position) {
      if (length === 0) return { bytesRead: 0 };
      const got = await bucket.getRange(name, position, position + length);
      buffer.set(got.subarray(0, length), offset);
      hooks.fetched(got.length);
      return { bytesRead: Math.min(got.length, length) };
    },
    write: readOnly,
    writev: readOnly,
    truncate: readOnly,
    datasync: readOnly,
    close: () => Promise.resolve(),
  };
}
