// Where sealed segments live besides the datastore directory. The directory backend needs
// nothing here (ChunkStore runs without one); the S3 backend (s3/) uploads each sealed
// segment, reads evicted ones back with ranged GETs and deletes compacted ones. The open
// segment is always a local file: appends, syncs and recovery work as on a plain directory.

import type { ObjectStorageStatus } from '../../../core/src/api/datastore.js';
import type { ObjectIndex } from './object-index.js';
import type { SegmentFileSystem } from './segment-io.js';

/** What a backend sees of the store that uses it. */
export interface SegmentBackendHost {
  readonly root: string;
  readonly index: ObjectIndex;
  /** The open segment's id and length. */
  position(): { segment: number; offset: number };
  /** Seals the open segment if it holds anything (its records become uploadable). */
  sealOpenSegment(): Promise<void>;
  /** Drops a cached read handle (the file is being evicted). */
  forgetHandle(segment: number): Promise<void>;
}

export interface SegmentBackend {
  /** How segments are opened for reading: the local file when present, else the backend. */
  readonly readFs: SegmentFileSystem;
  /** Before appending: refuses (a typed error) when the backend has fallen too far behind. */
  admit(): void;
  /** The store is open: segments sealed before a crash but never uploaded are queued. */
  attach(host: SegmentBackendHost): Promise<void>;
  /** A segment was sealed (rotated away from): it never changes again. */
  sealed(segment: number): void;
  /** Makes a segment's file present locally (compaction scans files). */
  ensureLocal(segment: number): Promise<void>;
  /** Bytes of the segment's copy in the backend (0 when it has none): what deleting it frees. */
  objectBytes(segment: number): number;
  /** Compacted segments whose local files are gone: their copies in the backend go too. */
  removed(segments: readonly number[]): Promise<void>;
  /**
   * Deletes segment objects no index entry knows (a compacted segment whose object delete
   * failed after its entries went); never one that is live, queued or being uploaded.
   */
  sweepOrphans(): Promise<{ objects: number; bytes: number }>;
  /** The upload queue and the cache, for the datastore page and `havend info`. */
  status(): ObjectStorageStatus;
  /** Seals and uploads what it can within its bound, then stops (the index is still open). */
  close(): Promise<void>;
}
