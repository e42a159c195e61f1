// A restore writer thread: fetches the chunks of its files (verified by ObjectFetcher),
// writes each file front to back with large vectored writes, leaves all-zero chunks as
// holes, then applies the file's metadata (ownership, mode, xattrs, nanosecond times), so
// content and metadata of many files are written on every core at once.

import { closeSync, constants, fchmodSync, fchownSync, ftruncateSync, openSync, writevSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { HttpTransport } from '../api/http-transport.js';
import { createPosixOps } from '../fs/posix-ops.js';
import { showPath } from '../fs/names.js';
import { ObjectFetcher } from '../remote/object-fetcher.js';
import { serveJobs } from '../workers/worker-protocol.js';
import type { RestoreFileItem, RestoreJob, RestoreJobResult, RestoreWorkerData } from './restore-messages.js';

const data = workerData as RestoreWorkerData;
const api = new HttpTransport({ server: data.server, token: data.token, fingerprint: data.fingerprint, maxSockets: 2 });
const fetcher = new ObjectFetcher(api, data.snapshot);
const posix = createPosixOps();
const zeros = Buffer.alloc(data.maxChunk);
const WRITE_BYTES = 8 << 20;
/** Hole granularity: the page and filesystem block size. */
const BLOCK = 4096;
/** Well under IOV_MAX (1024) per writev. */
const MAX_PARTS = 256;
const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function toPath(p: string | Uint8Array): string | Buffer {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

function keyAt(chunks: Uint8Array, i: number): string {
  return Buffer.from(chunks.buffer, chunks.byteOffset + i * 32, 32).toString('latin1');
}

function isZero(b: Buffer): boolean {
  return b.length <= zeros.length && b[0] === 0 && b[b.length - 1] === 0 && b.equals(zeros.subarray(0, b.length));
}

class FileWriter {
  private fd: number | null = null;
  private failed = false;
  next = 0;
  offset = 0;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private partsOffset = 0;
  /** End of the last byte written: a file ending in a hole needs an ftruncate, others not. */
  private writtenEnd = 0;

  constructor(readonly item: RestoreFileItem, readonly path: string | Buffer, private readonly result: RestoreJobResult) {}

  /** Opened at first use, so a job of many files holds few descriptors at once. */
  private open(): number | null {
    if (this.fd === null && !this.failed) {
      try {
        this.fd = openSync(this.path, OPEN_FLAGS, 0o600);
      } catch (err) {
        this.failed = true;
        this.result.warnings.push(`${showPath(this.path)}: ${(err as Error).message}`);
      }
    }
    return this.fd;
  }

  get count(): number {
    return this.item.chunks.length / 32;
  }

  /**
   * Appends a chunk. Whole 4 KiB blocks of zeros (aligned in the file) are skipped, not
   * written, so a sparse file is restored sparse even where a chunk mixes data and holes.
   */
  write(raw: Buffer): void {
    if (isZero(raw)) {
      this.flush();
      this.result.bytesSparse += raw.length;
      this.offset += raw.length;
      return;
    }
    let run = 0;
    let pos = 0;
    while (pos < raw.length) {
      const end = Math.min(raw.length, pos + BLOCK - ((this.offset + pos) % BLOCK));
      if (end - pos === BLOCK && raw[pos] === 0 && raw[end - 1] === 0 && raw.compare(zeros, 0, BLOCK, pos, end) === 0) {
        if (pos > run) this.append(raw.subarray(run, pos), this.offset + run);
        this.flush();
        this.result.bytesSparse += BLOCK;
        run = end;
      }
      pos = end;
    }
    if (run < raw.length) this.append(raw.subarray(run), this.offset + run);
    this.offset += raw.length;
  }

  private append(part: Buffer, at: number): void {
    if (this.parts.length === 0) this.partsOffset = at;
    this.parts.push(part);
    this.partsBytes += part.length;
    if (this.partsBytes >= WRITE_BYTES || this.parts.length >= MAX_PARTS) this.flush();
  }

  flush(): void {
    const fd = this.open();
    if (fd === null) {
      this.parts = [];
      this.partsBytes = 0;
      return;
    }
    let at = this.partsOffset;
    let parts = this.parts;
    while (parts.length > 0) {
      const n = writevSync(fd, parts, at);
      this.result.bytesWritten += n;
      at += n;
      this.writtenEnd = Math.max(this.writtenEnd, at);
      // A short write is rare (full disk raises instead); continue after what was written.
      let skip = n;
      while (parts.length > 0 && skip >= (parts[0] as Buffer).length) skip -= (parts.shift() as Buffer).length;
      if (skip > 0 && parts.length > 0) parts = [(parts[0] as Buffer).subarray(skip), ...parts.slice(1)];
    }
    this.parts = [];
    this.partsBytes = 0;
  }

  /**
   * Content complete: the size (a trailing hole), then the metadata through the open
   * descriptor (no path lookups: creating and finishing files is what a restore on this
   * kind of machine spends its time on), then close.
   */
  async close(): Promise<void> {
    this.flush();
    const fd = this.open();
    if (fd === null) return;
    if (this.offset !== this.item.size) this.result.warnings.push(`${showPath(this.path)}: restored ${this.offset} bytes, the snapshot says ${this.item.size}`);
    try {
      if (this.writtenEnd !== this.offset) ftruncateSync(fd, this.offset);
      await applyFileMetadata(fd, this.path, this.item, this.result);
    } finally {
      closeSync(fd);
      this.fd = null;
    }
  }
}

async function applyFileMetadata(fd: number, path: string | Buffer, item: RestoreFileItem, result: RestoreJobResult): Promise<void> {
  try {
    if (data.chown) fchownSync(fd, item.uid, item.gid);
    // after chown, which clears setuid/setgid
    fchmodSync(fd, item.mode);
    for (const [name, value] of item.xattrs ?? []) await posix.writeXattr(path, name, value);
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
    const w = new FileWriter(item, toPath(item.path), result);
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
