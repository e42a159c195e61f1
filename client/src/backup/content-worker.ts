// A content worker thread: reads files with large buffers, cuts them into chunks (native
// FastCDC), hashes them (node:crypto, SHA-NI), asks the appliance which it lacks, and
// compresses and uploads only those, on its own upload stream. The main thread only walks
// and builds trees, so hashing and compression run on every core.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { createCutter, type Cutter } from '../../../core/src/chunker/cutter.js';
import { addonOrFallback } from '../../../core/src/native/addon.js';
import { sha256 } from '../../../core/src/objects/digest.js';
import { FRAME_HEADER_BYTES } from '../../../core/src/objects/frame.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { HavenError } from '../../../core/src/errors.js';
import { HttpTransport } from '../api/http-transport.js';
import type { ContentSummary, ContentWorkerData, FileJob, FileJobItem, FileResult } from './content-messages.js';
import { collectIfBuffersExceed } from '../workers/garbage.js';
import { serveJobs } from '../workers/worker-protocol.js';
import { FileHoles, holesTrustedAt } from './file-holes.js';
import { Uploader, type PendingObject } from './uploader.js';
import { WindowRecycler } from './window-recycler.js';
import { ZeroChunks } from './zero-chunks.js';

/** Ask `has` about this many bytes of chunks at a time (what a worker holds between flushes). */
const PUT_BYTES = 8 << 20;
/** Buffers beyond the windows' own bytes (answers, digests: little, since windows and frame blocks are reused) make the worker collect garbage after a flush. */
const GARBAGE_BOUND = 32 << 20;
/** A large file needs two windows: the one read into, and the one before it while its chunks are pending (freshWindow). */
const WINDOWS_KEPT = 2;

const data = workerData as ContentWorkerData;

/** Small files share arenas of this size; large files stream through windows of it (room for two largest chunks). */
const WINDOW = Math.max(8 << 20, 2 * data.chunker.maxSize);

const api = new HttpTransport({ ...data.connection, maxSockets: 2 });
// Blocks that hold any data frame: a chunk's payload is at most maxSize (raw, or compressed smaller).
const uploader = new Uploader(api, data.session, { level: data.level, maxHasDigests: data.maxHasDigests, blockBytes: data.chunker.maxSize + FRAME_HEADER_BYTES });
const cutter: Cutter = createCutter(data.chunker);
const zeros = new ZeroChunks(data.chunker.maxSize);
const windows = new WindowRecycler(WINDOW, WINDOWS_KEPT);
const kernelHoles = addonOrFallback();
/**
 * The chunk the cutter makes of zeros: a chunk that begins in a hole with at least this many
 * bytes of it ahead is exactly this long (a cut depends only on the bytes before it), so a
 * hole's chunks are known without reading it.
 */
const ZERO_CHUNK = cutter.cut(zeros.bytes(cutter.setup.maxSize), 0, cutter.setup.maxSize);

/** Small files share one arena, read into again from its start once its chunks went out (arenaSlice). */
let arena: Buffer = Buffer.alloc(0);
let arenaPos = 0;
let pending: PendingObject[] = [];
let pendingBytes = 0;

function toPath(p: string | Uint8Array): string | Buffer {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

/** `count` chunks of ZERO_CHUNK zeros, from a hole that was not read; one object to upload, however many. */
function addZeroChunks(count: number, digests: Buffer[]): void {
  const digest = zeros.digestOf(ZERO_CHUNK);
  for (let i = 0; i < count; i++) digests.push(digest);
  pending.push({ kind: ObjectKind.data, digest, raw: zeros.bytes(ZERO_CHUNK) });
  pendingBytes += ZERO_CHUNK;
}

function addChunk(chunk: Buffer, digests: Buffer[]): void {
  const zero = zeros.digestIfZero(chunk);
  const digest = zero ?? sha256(chunk);
  digests.push(digest);
  pending.push({ kind: ObjectKind.data, digest, raw: chunk });
  pendingBytes += chunk.length;
}

/** Room for a small file in the arena; when it is full, its chunks go out first and it is read into again. */
async function arenaSlice(bytes: number): Promise<Buffer> {
  if (arena.length - arenaPos < bytes) {
    await flush();
    if (arena.length === 0) arena = Buffer.allocUnsafeSlow(WINDOW);
    arenaPos = 0;
  }
  const slice = arena.subarray(arenaPos, arenaPos + bytes);
  arenaPos += bytes;
  return slice;
}

/** A window to read into; a retired window's chunks go out first, so that a worker needs two at most. */
async function freshWindow(): Promise<Buffer> {
  if (windows.hasRetired) await flush();
  return windows.take();
}

/**
 * Reads one file and cuts it; chunks go to `pending`, their digests are returned. A large
 * file's holes (file-holes.ts) are not read: whole zero chunks that fit in them are counted,
 * and the zeros other chunks need from them are written into the buffer.
 */
async function chunkFile(item: FileJobItem): Promise<FileResult> {
  const path = toPath(item.path);
  const sizeHint = item.size;
  // Small files read into the shared arena (one allocation for many files); +1 so that the
  // read that hits end of file needs no second buffer. The slice is reserved at once:
  // pending chunks keep referencing it until they are uploaded.
  const fd = openSync(path, 'r');
  const digests: Buffer[] = [];
  let bytes = 0;
  let holeBytes = 0;
  let changed: true | undefined;
  /** The window this file reads into, when it is too large for the arena (or grew beyond its slice). */
  let window: Buffer | null = null;
  try {
    const small = sizeHint + 1 <= WINDOW / 4;
    const holes = small || !holesTrustedAt(path) ? null : new FileHoles(fd, kernelHoles);
    let buf = small ? await arenaSlice(sizeHint + 1) : (window = await freshWindow());
    let start = 0;
    let end = 0;
    /** The file offset of buf[end]: where the next read begins. */
    let pos = 0;
    let eof = false;
    for (;;) {
      while (!eof && end < buf.length) {
        let want = buf.length - end;
        if (holes !== null) {
          const hole = holes.zerosAt(pos);
          if (hole > 0) {
            // zeros the chunks need from a hole: written here, not read
            const n = Math.min(hole, want);
            buf.fill(0, end, end + n);
            end += n;
            pos += n;
            holeBytes += n;
            continue;
          }
          want = Math.min(want, holes.dataAt(pos));
        }
        const n = readSync(fd, buf, end, want, pos);
        if (n === 0) eof = true;
        else {
          end += n;
          pos += n;
        }
      }
      while (start < end && (eof || end - start >= cutter.setup.maxSize)) {
        const at = pos - (end - start);
        const skip = holes === null ? 0 : Math.floor(holes.zerosAt(at) / ZERO_CHUNK) * ZERO_CHUNK;
        if (skip > 0) {
          addZeroChunks(skip / ZERO_CHUNK, digests);
          bytes += skip;
          if (skip <= end - start) start += skip; // zeros in the buffer already (and counted): step over them
          else {
            // the rest of the hole is not even written: the next read begins after it
            holeBytes += at + skip - pos;
            start = end;
            pos = at + skip;
          }
          continue;
        }
        const len = cutter.cut(buf, start, end);
        addChunk(buf.subarray(start, start + len), digests);
        start += len;
        bytes += len;
      }
      if (eof) break;
      if (end < buf.length) continue; // a hole was skipped: read on into this buffer
      // Pending chunks still reference this buffer: continue in another window.
      const next = await freshWindow();
      buf.copy(next, 0, start, end);
      end -= start;
      start = 0;
      if (window) windows.retire(window);
      buf = window = next;
    }
    changed = changedSince(fd, item);
  } finally {
    closeSync(fd);
    if (window) windows.retire(window);
  }
  return { digests: Buffer.concat(digests), bytes, ...(holeBytes > 0 ? { holeBytes } : {}), ...(changed ? { changed } : {}) };
}

/** Whether the open file's stat now differs from the walk's (one fstat, ~2 us). */
function changedSince(fd: number, walked: FileJobItem): true | undefined {
  const st = fstatSync(fd, { bigint: true });
  return st.size !== BigInt(walked.size) || st.mtimeNs !== walked.mtimeNs || st.ctimeNs !== walked.ctimeNs ? true : undefined;
}

async function flush(): Promise<void> {
  const batch = pending;
  pending = [];
  pendingBytes = 0;
  const freeRetired = windows.beginFlush();
  await uploader.put(batch);
  freeRetired();
  collectIfBuffersExceed(windows.ownedBytes + GARBAGE_BOUND);
}

async function runJob(job: FileJob): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const f of job.files) {
    try {
      results.push(await chunkFile(f));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e instanceof HavenError) throw e;
      // vanished or unreadable: reported and skipped, the backup goes on
      results.push({ bytes: 0, error: e.code ? `${e.code}: ${e.message}` : e.message });
    }
    if (pendingBytes >= PUT_BYTES) await flush();
  }
  await flush();
  return results;
}

serveJobs<FileJob, FileResult[], ContentSummary>(runJob, async () => {
  const totals = await uploader.finish();
  api.close();
  return { totals, native: cutter.native };
});
