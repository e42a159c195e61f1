// A restore writer thread: fetches the chunks of its files (verified by ObjectFetcher),
// writes each file front to back (file-writer.ts: large files direct, small ones with
// vectored writes), leaves all-zero blocks as holes, then applies the file's metadata
// (ownership, mode, xattrs, nanosecond times), so content and metadata of many files are written on every core at once.

import { fchmodSync, fchownSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { HttpTransport } from '../api/http-transport.js';
import { createPosixOps } from '../fs/posix-ops.js';
import { showPath } from '../fs/names.js';
import { ObjectFetcher } from '../remote/object-fetcher.js';
import { serveJobs } from '../workers/worker-protocol.js';
import { FileWriter } from './file-writer.js';
import { openTargetFile, setFileXattr } from './restore-target.js';
import type { RestoreFileItem, RestoreJob, RestoreJobResult, RestoreWorkerData } from './restore-messages.js';

const data = workerData as RestoreWorkerData;
const api = new HttpTransport({ ...data.connection, maxSockets: 2 });
const fetcher = new ObjectFetcher(api, data.snapshot);
const posix = createPosixOps();
const zeros = Buffer.alloc(data.maxChunk);

function toPath(p: string | Uint8Array): string | Buffer {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

function keyAt(chunks: Uint8Array, i: number): string {
  return Buffer.from(chunks.buffer, chunks.byteOffset + i * 32, 32).toString('latin1');
}

async function applyFileMetadata(fd: number, path: string | Buffer, item: RestoreFileItem, result: RestoreJobResult): Promise<void> {
  try {
    if (data.chown) fchownSync(fd, item.uid, item.gid);
    // after chown, which clears setuid/setgid
    fchmodSync(fd, item.mode);
    for (const [name, value] of item.xattrs ?? []) await setFileXattr(data.target, fd, toPath(item.rel), name, value, posix);
    await posix.setFdTimes(fd, path, item.mtimeNs);
  } catch (err) {
    result.warnings.push(`${showPath(path)}: metadata: ${(err as Error).message}`);
  }
}

async function restoreJob(job: RestoreJob): Promise<RestoreJobResult> {
  const result: RestoreJobResult = { bytesWritten: 0, bytesSparse: 0, warnings: [] };
  const writers: FileWriter[] = [];
  // digest -> files that need it; unique digests in order of first use
  const users = new Map<string, FileWriter[]>();
  const remaining = new Map<string, number>();
  const order: Uint8Array[] = [];
  for (const item of job.files) {
    const rel = toPath(item.rel);
    const w = new FileWriter(item, toPath(item.path), result, zeros, applyFileMetadata, (flags) => openTargetFile(data.target, rel, flags));
    writers.push(w);
    if (w.count === 0) {
      await w.close();
      continue;
    }
    for (let i = 0; i < w.count; i++) {
      const k = keyAt(item.chunks, i);
      remaining.set(k, (remaining.get(k) ?? 0) + 1);
      const list = users.get(k);
      if (list) {
        if (list[list.length - 1] !== w) list.push(w);
      } else {
        users.set(k, [w]);
        order.push(item.chunks.subarray(i * 32, i * 32 + 32));
      }
    }
  }
  // Chunks arrive in first-use order; a file writes every chunk it can in sequence, and
  // keeps a chunk only while some file still needs it further on.
  const have = new Map<string, Buffer>();
  const advance = async (w: FileWriter): Promise<void> => {
    while (w.next < w.count) {
      const k = keyAt(w.item.chunks, w.next);
      const raw = have.get(k);
      if (!raw) return;
      w.write(raw);
      w.next++;
      const left = (remaining.get(k) as number) - 1;
      if (left === 0) {
        remaining.delete(k);
        have.delete(k);
      } else remaining.set(k, left);
    }
    await w.close();
  };
  await fetcher.many(order, async (i, raw) => {
    const k = Buffer.from(order[i] as Uint8Array).toString('latin1');
    have.set(k, raw);
    for (const w of users.get(k) ?? []) if (w.next < w.count) await advance(w);
    users.delete(k);
  });
  for (const w of writers) if (w.next < w.count) throw new Error(`${showPath(w.path)}: chunks missing from the restore stream`);
  return result;
}

serveJobs<RestoreJob, RestoreJobResult, null>(restoreJob, async () => {
  api.close();
  return null;
});
