// The datastore's usage as the dashboard shows it: capacity of the file system it lives on,
// what its segments occupy, and the logical size of every snapshot (for the dedup ratio).

import { Type, type Static } from 'typebox';

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
  updated: Type.String(),
});
export type DatastoreUsage = Static<typeof DatastoreUsage>;
