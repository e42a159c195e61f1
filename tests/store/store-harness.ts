// What the store conformance and fault tests share: the segment files under test, opening a
// store on one, reading objects back from the segments, a crash, and an in-process
// `store check` that must come out clean.

import assert from 'node:assert/strict';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { RECORD_HEADER_BYTES } from '../../daemon/src/store/record-format.js';
import type { SegmentBackend } from '../../daemon/src/store/segment-backend.js';
import type { SegmentFileSystem } from '../../daemon/src/store/segment-io.js';
import { checkStore, type CheckReport } from '../../daemon/src/store/store-check.js';
import type { VerifyPool } from '../../daemon/src/workers/verify-pool.js';
import type { TestObject } from '../helpers/objects.js';
import { appendItem } from '../helpers/store-items.js';

/** The two real segment files (segment-file.ts); the faulty one wraps either. */
export interface SegmentBase {
  name: 'direct' | 'buffered';
  directIo: boolean;
}

export const BASES: readonly SegmentBase[] = [
  { name: 'direct', directIo: true },
  { name: 'buffered', directIo: false },
];

export const SEGMENT_MAX = 1 << 20;

export async function openStore(root: string, base: SegmentBase, segmentFs?: SegmentFileSystem, segmentMaxBytes = SEGMENT_MAX, backend?: SegmentBackend): Promise<ChunkStore> {
  const store = await ChunkStore.open(root, { create: true, segmentMaxBytes, directIo: base.directIo, ...(segmentFs ? { segmentFs } : {}), ...(backend ? { backend } : {}) });
  // The temporary directory's file system takes O_DIRECT (ext4 or tmpfs here), so the
  // direct case really runs direct; the product would fall back to buffered silently.
  assert.equal(store.directIo, base.directIo, `${base.name} segment file in use`);
  return store;
}

export async function append(store: ChunkStore, objects: readonly TestObject[]): Promise<boolean[]> {
  return store.append(objects.map(appendItem));
}

/** Every object reads back bit-exact from the segments (never from the store's memory). */
export async function readsBack(store: ChunkStore, objects: readonly TestObject[]): Promise<void> {
  for (const o of objects) {
    const raw = await store.onDisk.readObject(o.digest, o.kind);
    assert.ok(raw.equals(o.raw), `object ${o.digest.toString('hex').slice(0, 12)} reads back`);
  }
}

/** Bytes the objects take in a segment, records and headers. */
export function recordBytes(objects: readonly TestObject[]): number {
  return objects.reduce((n, o) => n + RECORD_HEADER_BYTES + o.stored.length, 0);
}

/**
 * After a simulated crash (FaultySegmentFs.crash): the store cannot close its segment, so
 * its close fails; the index is closed as the dying process's would be.
 */
export async function abandon(store: ChunkStore): Promise<void> {
  await assert.rejects(store.close());
  await store.index.close();
}

/** `havend store check`, in process, on a closed store: no problems. */
export async function assertCheckClean(root: string, pool: VerifyPool): Promise<CheckReport> {
  const report = await checkStore(root, pool);
  assert.deepEqual(report.problems, []);
  assert.equal(report.ok, true);
  return report;
}
