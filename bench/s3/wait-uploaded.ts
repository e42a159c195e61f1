// How long a havend with its datastore on S3 takes, from now, until its sealed segments are all in
// the bucket (the upload queue empty) and until everything is (the open segment sealed after
// datastore.s3.idleSealSeconds and uploaded too). Polls GET /api/v1/datastore every 100 ms,
// bounded by LIMIT seconds; prints one JSON line.
//
//   node dist/bench/s3/wait-uploaded.js URL TOKEN [LIMIT_SECONDS]

import type { DatastoreUsage } from '../../core/src/api/datastore.js';

const [url, token, limitArg] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: wait-uploaded.js URL TOKEN [LIMIT_SECONDS]');
  process.exit(2);
}
const limitMs = Number(limitArg ?? 600) * 1000;

async function status(): Promise<NonNullable<DatastoreUsage['objectStorage']>> {
  const res = await fetch(`${url}/api/v1/datastore`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /api/v1/datastore: HTTP ${res.status}`);
  const usage = (await res.json()) as DatastoreUsage;
  if (!usage.objectStorage) throw new Error('this datastore is not on S3 (objectStorage is null)');
  return usage.objectStorage;
}

const t0 = performance.now();
const seconds = (): number => Math.round(performance.now() - t0) / 1000;
let queueEmpty: number | null = null;
let first: Awaited<ReturnType<typeof status>> | null = null;
for (;;) {
  const s = await status();
  first ??= s;
  if (queueEmpty === null && s.pendingSegments === 0) queueEmpty = seconds();
  if (s.notUploadedBytes === 0) {
    console.log(JSON.stringify({ queueEmptySeconds: queueEmpty, allUploadedSeconds: seconds(), atStart: first, atEnd: s }));
    break;
  }
  if (performance.now() - t0 > limitMs) {
    console.log(JSON.stringify({ queueEmptySeconds: queueEmpty, allUploadedSeconds: null, atStart: first, atEnd: s }));
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}
