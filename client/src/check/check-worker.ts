// A reader thread of `haven check --read-data`: fetches one batch of chunks per job on its own
// connection and verifies each (ObjectFetcher: decompressed to its declared size, SHA-256
// against the digest asked for), so decompression and hashing run on every core instead of
// the main thread, which walks the snapshot meanwhile.

import { workerData } from 'node:worker_threads';
import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import { HttpTransport } from '../api/http-transport.js';
import { ObjectFetcher } from '../remote/object-fetcher.js';
import { serveJobs } from '../workers/worker-protocol.js';
import type { CheckJob, CheckJobResult, CheckWorkerData } from './check-messages.js';

const data = workerData as CheckWorkerData;
const api = new HttpTransport({ ...data.connection, maxSockets: 2 });
const fetcher = new ObjectFetcher(api, data.snapshot, { transientRaw: true });

/** A failed stream names no object: the damaged ones are found one by one. */
async function pinpoint(batch: readonly Uint8Array[]): Promise<string[]> {
  const found: string[] = [];
  for (const d of batch) {
    try {
      await fetcher.one(d);
    } catch (err) {
      if (!(err instanceof HavenError)) throw err;
      found.push(`chunk ${toHex(d)}: ${err.message}`);
    }
  }
  return found;
}

async function checkJob(job: CheckJob): Promise<CheckJobResult> {
  const batch: Uint8Array[] = [];
  for (let at = 0; at < job.digests.length; at += 32) batch.push(job.digests.subarray(at, at + 32));
  let bytes = 0;
  try {
    await fetcher.batch(batch, (_i, raw) => {
      bytes += raw.length;
    });
    return { bytes, problems: [] };
  } catch (err) {
    if (!(err instanceof HavenError)) throw err;
    return { bytes, problems: await pinpoint(batch) };
  }
}

serveJobs<CheckJob, CheckJobResult, null>(checkJob, async () => {
  api.close();
  return null;
});
