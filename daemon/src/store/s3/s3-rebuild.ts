// Disaster recovery: a new appliance, an empty state directory, the bucket intact. Before
// `havend store rebuild-index` scans the segments, the identity file and every segment object
// not present locally are fetched from the bucket; after the rebuild, the segments are
// recorded as uploaded, so the next start treats the local files as cache (and evicts past
// datastore.s3.cacheBytes) instead of uploading them again.

import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HavenError } from '../../../../core/src/errors.js';
import { readIdentity, IDENTITY_FILE } from '../identity.js';
import { openObjectIndex } from '../object-index.js';
import { expectedEtag, type S3Bucket } from './s3-bucket.js';

const SEGMENT_NAME = /^segments\/\d{3,}\/(\d{8,})\.seg$/;

/** Fetches what the rebuild needs; answers the segments fetched and found. */
export async function fetchDatastoreFromBucket(root: string, bucket: S3Bucket): Promise<{ fetched: number; segments: number }> {
  mkdirSync(root, { recursive: true });
  if (!existsSync(join(root, IDENTITY_FILE))) {
    const identity = await bucket.getAll(IDENTITY_FILE);
    if (identity === null) throw new HavenError('DATASTORE_INVALID', { path: `${bucket.bucket}/${bucket.key(IDENTITY_FILE)}`, detail: 'no datastore in the bucket (the identity file is missing)' });
    await writeFile(join(root, IDENTITY_FILE), identity, { mode: 0o644 });
  }
  let fetched = 0;
  let segments = 0;
  for (const { name } of await bucket.list('segments/')) {
    if (!SEGMENT_NAME.test(name)) continue;
    segments++;
    const path = join(root, name);
    if (existsSync(path)) continue;
    const body = await bucket.getAll(name);
    if (body === null) continue; // deleted meanwhile (compaction on another appliance is not supported)
    mkdirSync(dirname(path), { recursive: true });
    await writeFile(`${path}.part`, body);
    await rename(`${path}.part`, path);
    fetched++;
  }
  return { fetched, segments };
}

/** After the rebuild: every segment the bucket holds is recorded as uploaded. */
export async function markBucketSegmentsUploaded(root: string, bucket: S3Bucket, partBytes: number): Promise<void> {
  const identity = readIdentity(root);
  if (!identity) return;
  const index = openObjectIndex(root, identity.id);
  try {
    for (const { name } of await bucket.list('segments/')) {
      const m = SEGMENT_NAME.exec(name);
      if (!m || !existsSync(join(root, name))) continue;
      const body = await readFile(join(root, name));
      await index.uploaded.put(Number(m[1]), { bytes: body.length, etag: expectedEtag(body, partBytes) });
    }
  } finally {
    await index.close();
  }
}
