// The datastore's usage as the dashboard shows it: capacity of the file system it lives on,
// what its segments occupy, and the logical size of every snapshot (for the dedup ratio).

import { Type, type Static } from 'typebox';

/** Where sealed segments live when the datastore is on S3 (datastore.backend s3). */
export const ObjectStorageStatus = Type.Object({
  backend: Type.Literal('s3'),
  endpoint: Type.String(),
  bucket: Type.String(),
  prefix: Type.String(),
  /** Sealed segments waiting for upload (the upload queue), and their bytes. */
  pendingSegments: Type.Integer(),
  pendingBytes: Type.Integer(),
  /** Bytes of the open segment: in the bucket once it is sealed (full, idle or at stop). */
  openBytes: Type.Integer(),
  /** pendingBytes + openBytes: what a lost appliance would lose. */
  notUploadedBytes: Type.Integer(),
  /** Uploaded segments kept locally (their bytes and count), and the cache's bound (datastore.s3.cacheBytes). */
  cachedBytes: Type.Integer(),
  cachedSegments: Type.Integer(),
  cacheBytes: Type.Integer(),
  uploadedSegments: Type.Integer(),
  /** Bytes read back from the bucket since start (ranged GETs of segments not cached). */
  fetchedBytes: Type.Integer(),
  /** The last upload failure and when it happened, both null once an upload succeeds again. */
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastErrorAt: Type.Union([Type.String(), Type.Null()]),
});
export type ObjectStorageStatus = Static<typeof ObjectStorageStatus>;

export const DatastoreUsage = Type.Object({
  id: Type.String(),
  /** File system holding the datastore (statfs): total and available bytes. */
  capacityBytes: Type.Integer(),
  freeBytes: Type.Integer(),
  /** Free space kept for prune, GC and compaction: client uploads are refused below it (`datastore.reserveBytes`). */
  reserveBytes: Type.Integer(),
  /** True while uploads are refused for lack of space (STORAGE_FULL); prune and GC give space back. */
  uploadsRefused: Type.Boolean(),
  /** Bytes of indexed records in the segments (everything stored: compressed, deduplicated). */
  storedBytes: Type.Integer(),
  /** Sum of the file sizes of every snapshot, as if each were stored whole. */
  logicalBytes: Type.Integer(),
  /** logicalBytes / storedBytes, 0 while nothing is stored; counts both dedup and compression. */
  dedupRatio: Type.Number(),
  snapshots: Type.Integer(),
  /** Snapshots whose logical size is still being computed (their bytes are not in logicalBytes yet). */
  pendingSizes: Type.Integer(),
  /** null: segments live in the datastore directory only. */
  objectStorage: Type.Union([ObjectStorageStatus, Type.Null()]),
  updated: Type.String(),
});
export type DatastoreUsage = Static<typeof DatastoreUsage>;
