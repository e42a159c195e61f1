// The chunk store: verified objects go into append-only segments, then become visible
// through the LMDB index. The write order is what makes crashes harmless (DESIGN section 2):
//
//   append records -> fdatasync the segment -> commit the LMDB transaction (index entries,
//   the segment's indexed length, and whatever the caller commits with them, such as a
//   snapshot registration) -> wait until LMDB is flushed.
//
// A crash before the commit leaves complete records past the segment's indexed length;
// recovery (recovery.ts) indexes those and truncates a torn tail. Every mutating call runs
// on one serial queue, so there is exactly one appender per datastore.

import { stat } from 'node:fs/promises';
import type { ObjectStorageStatus } from '../../../core/src/api/datastore.js';
import { HavenError } from '../../../core/src/errors.js';
import { digestKey as key, sha256, toHex } from '../../../core/src/objects/digest.js';
import { encodeFrames } from '../../../core/src/objects/frame.js';
import { Codec, ObjectKind, kindName } from '../../../core/src/objects/kinds.js';
import { readIdentity, openOrCreateIdentity, writeIdentity, type DatastoreIdentity } from './identity.js';
import { LocationView, decodeLocation, encodeLocation, openObjectIndex, relocated, type Location, type ObjectIndex } from './object-index.js';
import { RECORD_HEADER_BYTES, payloadCrc, type RecordHeader } from './record-format.js';
import { SegmentReader, type SpanFrames } from './segment-reader.js';
import { listSegments, segmentPath } from './segment-files.js';
import { SegmentWriter, type AppendItem } from './segment-writer.js';
import type { SegmentFileSystem } from './segment-io.js';
import { recoverSegments, type RecoveryReport } from './recovery.js';
import type { BulkCheck, ObjectSource } from './reachability.js';
import { readSpans } from './read-spans.js';
import { RecentObjects } from './recent-objects.js';
import { SegmentLeases } from './segment-leases.js';
import { removeRetiredSegments, unlinkSegments } from './retired-segments.js';
import type { SegmentBackend, SegmentBackendHost } from './segment-backend.js';

/** Trees and lists kept in memory after they are appended (stored bytes, see recent-objects.ts). */
const RECENT_METADATA_BYTES = 32 << 20;
/** How long checkEach works before it lets the event loop run. */
const YIELD_AFTER_MS = 4;

export interface ChunkStoreOptions {
  segmentMaxBytes: number;
  /** Create the datastore if it does not exist (serve does; offline tools do not). */
  create: boolean;
  /** Append with O_DIRECT where the file system allows it (default true; see segment-file.ts). */
  directIo?: boolean;
  /** How segment files are opened for appending and reading (default node:fs; tests inject faults). */
  segmentFs?: SegmentFileSystem;
  /** Where sealed segments go besides the directory (datastore.backend s3); none for a plain directory. */
  backend?: SegmentBackend;
}

/** Opens the appender on the newest segment of `root`. */
function openWriter(root: string, options: ChunkStoreOptions): Promise<SegmentWriter> {
  const ids = listSegments(root);
  return SegmentWriter.open(root, options.segmentMaxBytes, ids.length > 0 ? (ids[ids.length - 1] as number) : null, {
    directIo: options.directIo ?? true,
    fs: options.segmentFs,
  });
}

export interface StoredObject {
  location: Location;
  header: RecordHeader;
  /** The payload as stored (possibly compressed). */
  stored: Buffer;
}

const ENOSPC = 28;
const EDQUOT = 122;

/** Maps file-system failures to the error catalogue; a full disk is STORAGE_FULL. */
export function storageError(err: unknown): HavenError {
  if (err instanceof HavenError) return err;
  const code = (err as NodeJS.ErrnoException).code as string | number | undefined;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === ENOSPC || code === EDQUOT) return new HavenError('STORAGE_FULL', {}, { cause: err });
  return new HavenError('STORAGE_IO', { detail: String(code ?? (err as Error).message) }, { cause: err });
}

/** lmdb-js reports a failed commit with the real cause (errno) in a separate promise. */
export async function lmdbCause(err: unknown): Promise<unknown> {
  const commitError = (err as { commitError?: Promise<unknown> }).commitError;
  if (commitError && typeof commitError.then === 'function') return commitError.then(() => err, (cause: unknown) => cause);
  return err;
}

type TxnExtra = () => void;

/** A place in the append order: every record before it was appended earlier. */
export interface StorePosition {
  segment: number;
  offset: number;
}

export function positionBefore(a: StorePosition, b: StorePosition): boolean {
  return a.segment < b.segment || (a.segment === b.segment && a.offset < b.offset);
}

/** Compaction's record moves as the index switch reads them (daemon/src/gc/move-list.ts). */
export interface RecordMoves {
  digest(i: number): Buffer;
  fromSegment(i: number): number;
  fromOffset(i: number): number;
  toSegment(i: number): number;
  toOffset(i: number): number;
}

export class ChunkStore implements SegmentBackendHost {
  private readonly pending = new Map<string, Location>();
  private queue: Promise<unknown> = Promise.resolve();
  private reader: SegmentReader;
  private readonly recent = new RecentObjects(RECENT_METADATA_BYTES);
  private readonly leases = new SegmentLeases();
  /** Segments compacted away: a location read from the index before the switch is looked up again. */
  private readonly movedAway = new Set<number>();
  /** Index removals by garbage collection so far (see removalGeneration). */
  private removals = 0;
  private closed = false;

  private constructor(
    private currentRoot: string,
    readonly identity: DatastoreIdentity,
    private currentIndex: ObjectIndex,
    private writer: SegmentWriter,
    readonly recovery: RecoveryReport,
    private readonly options: ChunkStoreOptions,
  ) {
    this.reader = new SegmentReader(currentRoot, options.backend?.readFs ?? options.segmentFs);
  }

  /** Whether segment appends bypass the page cache. */
  get directIo(): boolean {
    return this.writer.direct;
  }

  /** The datastore directory (it changes only through relocate()). */
  get root(): string {
    return this.currentRoot;
  }

  get index(): ObjectIndex {
    return this.currentIndex;
  }

  static async open(root: string, options: ChunkStoreOptions): Promise<ChunkStore> {
    const identity = options.create ? openOrCreateIdentity(root) : readIdentity(root);
    if (identity === null) {
      throw new HavenError('DATASTORE_INVALID', { path: root, detail: 'no datastore here (haven-datastore.json is missing)' });
    }
    const index = openObjectIndex(root, identity.id);
    try {
      // Before recovery: a compacted segment left behind by a crash must not be re-indexed.
      const retired = [...index.retired.getKeys()];
      await removeRetiredSegments(root, index);
      const recovery = await recoverSegments(root, index);
      const writer = await openWriter(root, options);
      const store = new ChunkStore(root, identity, index, writer, recovery, options);
      if (options.backend) {
        await options.backend.attach(store);
        await options.backend.removed(retired);
      }
      return store;
    } catch (err) {
      await index.close();
      throw err;
    }
  }

  /** Runs `fn` after every earlier queued operation: the single-appender discipline. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * True when the object is indexed (durable and visible) and not quarantined; what `has`
   * answers. A quarantined object counts as absent, so a client uploads it again and the
   * append below writes it anew (healing: see daemon/src/verify/).
   */
  isIndexed(digest: Uint8Array): boolean {
    return this.index.objects.doesExist(digest as Buffer) && !this.index.quarantine.doesExist(digest as Buffer);
  }

  locate(digest: Uint8Array): Location | undefined {
    const p = this.pending.get(key(digest));
    if (p) return p;
    const raw = this.index.objects.getBinary(digest as Buffer);
    return raw ? decodeLocation(raw) : undefined;
  }

  /**
   * Appends verified objects that are not already stored. Returns, per item, whether it was
   * written (false: a duplicate of an indexed or pending object). Not durable until flush().
   */
  append(items: AppendItem[]): Promise<boolean[]> {
    return this.serial(() => {
      this.options.backend?.admit();
      return this.appendNow(items);
    });
  }

  /** Closes the open segment and starts the next; a backend hears of the sealed one. */
  private async rotate(): Promise<void> {
    const sealed = this.writer.segment;
    await this.writer.rotate();
    this.options.backend?.sealed(sealed);
  }

  /** Seals the open segment if it holds anything (the S3 backend's idle seal and stop). */
  sealOpenSegment(): Promise<void> {
    return this.serial(async () => {
      if (this.closed || this.writer.length === 0) return;
      await this.commitPending([]);
      try {
        await this.rotate();
      } catch (err) {
        throw storageError(err);
      }
    });
  }

  /** The backend's upload queue and cache; null on a plain directory. */
  backendStatus(): ObjectStorageStatus | null {
    return this.options.backend?.status() ?? null;
  }

  forgetHandle(segment: number): Promise<void> {
    return this.reader.forget(segment);
  }

  /** Makes a segment's file local before it is scanned (compaction); a no-op on a plain directory. */
  async ensureLocal(segment: number): Promise<void> {
    await this.options.backend?.ensureLocal(segment);
  }

  /** Where the next appended record goes (garbage collection's horizon: see daemon/src/gc/). */
  position(): StorePosition {
    return { segment: this.writer.segment, offset: this.writer.length };
  }

  /**
   * Counts index removals by garbage collection. A commit that walked its tree while this
   * changed walks again: an object it found present may have been reclaimed since.
   */
  get removalGeneration(): number {
    return this.removals;
  }

  private async appendNow(items: AppendItem[]): Promise<boolean[]> {
    {
      if (this.closed) throw new HavenError('SHUTTING_DOWN');
      if (this.writer.broken) throw storageError(this.writer.broken);
      const written = items.map(() => false);
      const seen = new Set<string>();
      let run: Array<{ i: number; item: AppendItem }> = [];
      let runBytes = 0;
      const writeRun = async (): Promise<void> => {
        if (run.length === 0) return;
        const placed = await this.writer.append(run.map((r) => r.item));
        run.forEach(({ i, item }, j) => {
          const at = placed[j] as { segment: number; offset: number };
          const h = item.header;
          const k = key(h.digest);
          this.pending.set(k, {
            segment: at.segment, offset: at.offset, storedLength: h.storedLength, rawLength: h.rawLength,
            kind: h.kind, codec: h.codec, complete: false,
          });
          if (h.kind === ObjectKind.tree || h.kind === ObjectKind.list) this.recent.add(k, { ...h, payloadCrc: item.payloadCrc }, item.payload);
          written[i] = true;
        });
        run = [];
        runBytes = 0;
      };
      try {
        for (let i = 0; i < items.length; i++) {
          const item = items[i] as AppendItem;
          const k = key(item.header.digest);
          if (seen.has(k) || this.pending.has(k) || this.isIndexed(item.header.digest)) continue;
          seen.add(k);
          const bytes = RECORD_HEADER_BYTES + item.payload.length;
          if (this.writer.wouldOverflow(runBytes + bytes)) {
            await writeRun();
            // Everything pending lives in the current segment: make it durable and
            // indexed before moving on, so a segment's indexed length says it all.
            await this.commitPending([]);
            await this.rotate();
          }
          run.push({ i, item });
          runBytes += bytes;
        }
        await writeRun();
      } catch (err) {
        throw storageError(err);
      }
      return written;
    }
  }

  /**
   * Makes everything appended so far durable and visible, and runs `extra` inside the same
   * LMDB transaction (so, e.g., a snapshot and its record's index entry commit together).
   */
  flush(extra?: TxnExtra): Promise<void> {
    return this.serial(() => this.commitPending(extra ? [extra] : []));
  }

  private async commitPending(extras: TxnExtra[]): Promise<void> {
    if (this.pending.size === 0 && extras.length === 0) return;
    try {
      await this.writer.sync();
    } catch (err) {
      // The writer cut the unsynced records off; they were never visible.
      this.pending.clear();
      throw storageError(err);
    }
    const entries = [...this.pending.entries()];
    const segment = this.writer.segment;
    const indexedLength = this.writer.length;
    try {
      // A synchronous transaction: its failure (a full disk) surfaces here as one error;
      // lmdb-js's async batches also reject internal promises nobody can handle.
      this.index.env.transactionSync(() => {
        for (const [k, loc] of entries) {
          const digest = Buffer.from(k, 'latin1');
          this.index.objects.putSync(digest, encodeLocation(loc));
          // A quarantined object written anew: the index points at the new record, the damaged one is dead.
          if (this.index.quarantine.doesExist(digest)) this.index.quarantine.removeSync(digest);
        }
        for (const extra of extras) extra();
      });
      // The segment's indexed length in a transaction of its own, right after (no other code
      // runs between the two; a crash between them leaves records indexed past the length,
      // which start-up recovery indexes again, idempotently). LMDB reuses the pages a commit
      // frees only from the commit after next: with every flush one transaction, each of
      // them rewriting most leaf pages of random keys, the index file held ~2.6 copies of
      // its tree (15.6 MiB for 3.4 MiB of records after the 1.5 GiB benchmark's first
      // backup); this small commit in between lets the next flush reuse what this one freed
      // (docs/PERFORMANCE.md, "The store after three backups").
      this.index.env.transactionSync(() => this.index.segments.putSync(segment, { indexedLength }));
      await this.index.env.flushed;
    } catch (err) {
      // Records stay pending and are retried by the next flush (or indexed by recovery).
      throw storageError(await lmdbCause(err));
    }
    for (const [k] of entries) this.pending.delete(k);
  }

  /** Reads an object's record as stored, checking the record header and payload CRC. */
  async readStored(digest: Uint8Array): Promise<StoredObject> {
    const location = this.locate(digest);
    if (!location) throw new HavenError('OBJECT_NOT_FOUND', { digest: toHex(digest) });
    // Leased from the lookup on (same tick): compaction removes the file only after the read.
    const { header, stored } = await this.leases.during(location.segment, () => this.reader.readStored(location, digest));
    return { location, header, stored };
  }

  /**
   * Objects read from the segments only, never from memory: what verification reads. checkEach
   * reads them span by span (neighbours in one read, as a restore asks for them) and checks
   * each record in a buffer used again: one awaited read and one decompressed copy per object
   * had left verification idle most of its time and its collector busy.
   */
  readonly onDisk: ObjectSource & BulkCheck = {
    locate: (digest) => this.locate(digest),
    readObject: async (digest, expectKind) => {
      const { header, stored } = await this.readStored(digest);
      return this.decodeAs(digest, header, stored, expectKind);
    },
    checkEach: async (objects) => {
      const sizes: Array<number | null> = objects.map(() => null);
      const items: Array<{ digest: Uint8Array; location: Location; kind: ObjectKind; at: number }> = [];
      for (const [at, { digest, kind }] of objects.entries()) {
        const location = this.locate(digest);
        if (location) items.push({ digest, location, kind, at });
      }
      for (const span of readSpans(items)) {
        let read: StoredObject[];
        try {
          read = await this.readStoredSpan(span);
        } catch {
          continue; // each of them is read alone by the caller, which names the failure
        }
        let since = performance.now();
        for (const [i, { header, stored }] of read.entries()) {
          const item = span[i] as (typeof items)[number];
          if (header.kind === item.kind && this.reader.matches(header, stored)) sizes[item.at] = header.rawLength;
          // A span holds up to ~25 MB once decompressed: the event loop (uploads) gets a turn
          // every few milliseconds instead of waiting for all of it.
          if (performance.now() - since > YIELD_AFTER_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            since = performance.now();
          }
        }
      }
      return sizes;
    },
  };

  /** Records of one segment, sorted by offset, in one read (see SegmentReader.readStoredSpan). */
  async readStoredSpan(items: ReadonlyArray<{ location: Location; digest: Uint8Array }>): Promise<StoredObject[]> {
    const segment = items[0]?.location.segment;
    if (segment === undefined) return [];
    if (this.movedAway.has(segment)) return this.readEachWhereNow(items);
    const read = await this.leases.during(segment, () => this.reader.readStoredSpan(items));
    return read.map((r, i) => ({ location: (items[i] as { location: Location }).location, ...r }));
  }

  /** The same records as wire frames in one buffer (see SegmentReader.readSpanFrames): what the objects route sends. */
  async readSpanFrames(items: ReadonlyArray<{ location: Location; digest: Uint8Array }>): Promise<SpanFrames> {
    const segment = items[0]?.location.segment;
    if (segment === undefined) return { frames: Buffer.alloc(0), release: () => undefined };
    if (this.movedAway.has(segment)) return { frames: encodeFrames(await this.readEachWhereNow(items)), release: () => undefined };
    return this.leases.during(segment, () => this.reader.readSpanFrames(items));
  }

  /** Located before compaction moved them: each is read from where the index says now. */
  private async readEachWhereNow(items: ReadonlyArray<{ digest: Uint8Array }>): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    for (const { digest } of items) out.push(await this.readStored(digest));
    return out;
  }

  /**
   * Reads, decompresses and SHA-256-verifies an object; a tree or list appended lately comes
   * from memory once the index says it exists.
   */
  async readObject(digest: Uint8Array, expectKind?: ObjectKind): Promise<Buffer> {
    const location = this.locate(digest);
    if (!location) throw new HavenError('OBJECT_NOT_FOUND', { digest: toHex(digest) });
    const { header, stored } = this.recent.get(key(digest)) ?? (await this.leases.during(location.segment, () => this.reader.readStored(location, digest)));
    return this.decodeAs(digest, header, stored, expectKind);
  }

  private decodeAs(digest: Uint8Array, header: RecordHeader, stored: Buffer, expectKind: ObjectKind | undefined): Buffer {
    if (expectKind !== undefined && header.kind !== expectKind) {
      throw new HavenError('OBJECT_UNDECODABLE', {
        digest: toHex(digest), kind: kindName(header.kind) ?? header.kind,
        detail: `referenced as ${kindName(expectKind)}`,
      });
    }
    return this.reader.decode(header, stored);
  }

  /**
   * Appends and commits an object the appliance writes itself (snapshot, tombstone,
   * protection) in one step of the serial queue, so nothing (a GC removal in particular)
   * runs between `precondition` and the commit. A precondition that throws refuses the write
   * before anything is appended: a snapshot record once in a segment would be found by a rebuild.
   */
  async writeOwnObject(kind: ObjectKind, raw: Uint8Array, extra: TxnExtra, precondition?: () => void): Promise<Buffer> {
    return (await this.writeOwnObjects(kind, () => [raw], extra, precondition))[0] as Buffer;
  }

  /**
   * The same for several objects of one kind, made by `make` in the queue's step (so they
   * can depend on what the index says then), appended together and committed in one
   * transaction with one sync: a prune of tens of thousands of snapshots costs a commit per
   * batch of tombstones instead of one per snapshot.
   */
  writeOwnObjects(kind: ObjectKind, make: () => Uint8Array[], extra: TxnExtra, precondition?: () => void): Promise<Buffer[]> {
    return this.serial(async () => {
      precondition?.();
      const raws = make();
      if (raws.length === 0) return [];
      const items = raws.map((raw) => ({
        header: { kind, codec: Codec.none, rawLength: raw.length, storedLength: raw.length, digest: sha256(raw) },
        payloadCrc: payloadCrc(raw),
        payload: raw,
      }));
      await this.appendNow(items);
      await this.commitPending([extra]);
      return items.map((i) => i.header.digest);
    });
  }

  /**
   * Runs `step` in one synchronous index transaction on the serial queue: no append, flush or
   * commit interleaves. Garbage collection reclaims this way; `step` says whether it removed
   * index entries (then removalGeneration moves on before any later step runs).
   */
  async exclusive<T>(step: (index: ObjectIndex) => { result: T; removed: boolean }): Promise<T> {
    return this.serial(async () => {
      if (this.closed) throw new HavenError('SHUTTING_DOWN');
      let out: { result: T; removed: boolean } | undefined;
      try {
        // An asynchronous transaction: `step` runs in it on this thread, at once and whole, and
        // LMDB commits (and syncs) on its own thread, so uploads are answered meanwhile. The
        // queue stays held until the commit, so no append or commit slips in between.
        await this.index.env.transaction(() => {
          out = step(this.index);
        });
      } catch (err) {
        throw storageError(await lmdbCause(err));
      }
      const done = out as { result: T; removed: boolean };
      // Only now: a commit whose walk read the index before this removal was durable must see
      // the generation move (read earlier, the removed objects could still have looked present).
      if (done.removed) this.removals++;
      return done.result;
    });
  }

  /**
   * Compaction, first step: appends whole records copied verbatim out of sealed segments
   * (`records`, their lengths in `lengths[0..count)`), syncs them and extends the indexed
   * length over them, but points no index entry at them: until switchCopies does, they are
   * duplicates nobody reads, and a crash leaves them dead bytes (the old records stay
   * authoritative). Tells `placed` where each record went.
   */
  appendCopies(records: Buffer, lengths: Uint32Array, count: number, placed: (i: number, segment: number, offset: number) => void): Promise<void> {
    return this.serial(async () => {
      if (this.closed) throw new HavenError('SHUTTING_DOWN');
      // an empty extra: the transaction records the indexed length even with nothing pending
      const commitLength = (): Promise<void> => this.commitPending([() => undefined]);
      try {
        let i = 0;
        let start = 0;
        while (i < count) {
          let end = start;
          let j = i;
          while (j < count && !this.writer.wouldOverflow(end - start + (lengths[j] as number))) end += lengths[j++] as number;
          if (j === i) {
            await commitLength();
            await this.rotate();
            continue;
          }
          const segment = this.writer.segment;
          let offset = await this.writer.appendRecords(records.subarray(start, end));
          for (; i < j; i++) {
            placed(i, segment, offset);
            offset += lengths[i] as number;
          }
          start = end;
        }
        await commitLength();
      } catch (err) {
        throw storageError(err);
      }
    });
  }

  /**
   * Compaction, second step: points index entries at copies appendCopies made, moves
   * `order[from..to)` in one transaction (an entry that no longer points at the old place is
   * left alone), and records the segments in `retire` as retired in the same transaction
   * (their files go once readers finish, or at the next start). Answers how many entries were
   * switched. A synchronous transaction, like the appends' commits (the asynchronous kind
   * failed on a large index with transactions far smaller than these: see gc/collector.ts).
   */
  switchCopies(moves: RecordMoves, order: Uint32Array, from: number, to: number, retire: readonly number[]): Promise<number> {
    return this.serial(async () => {
      if (this.closed) throw new HavenError('SHUTTING_DOWN');
      let switched = 0;
      const view = new LocationView();
      try {
        this.index.env.transactionSync(() => {
          for (let k = from; k < to; k++) {
            const i = order[k] as number;
            const digest = moves.digest(i);
            const raw = this.index.objects.getBinary(digest);
            if (!raw) continue;
            const loc = view.at(raw);
            if (loc.segment !== moves.fromSegment(i) || loc.offset !== moves.fromOffset(i)) continue;
            this.index.objects.putSync(digest, relocated(raw, moves.toSegment(i), moves.toOffset(i)));
            switched++;
          }
          for (const segment of retire) this.index.retired.putSync(segment, { since: Date.now() });
        });
        await this.index.env.flushed;
      } catch (err) {
        throw storageError(await lmdbCause(err));
      }
      for (const segment of retire) this.movedAway.add(segment);
      return switched;
    });
  }

  /**
   * Removes retired segments' files once no read of them is in flight, then forgets them;
   * answers the bytes freed: each segment once, its local file or its object in the backend,
   * whichever is larger (an evicted segment frees its object; one never uploaded, its file).
   */
  async removeRetired(segments: readonly number[]): Promise<number> {
    if (segments.length === 0) return 0;
    let freed = 0;
    for (const segment of segments) {
      await this.leases.idle(segment);
      await this.reader.forget(segment);
      const local = await stat(segmentPath(this.root, segment)).then((s) => s.size, () => 0);
      freed += Math.max(local, this.options.backend?.objectBytes(segment) ?? 0);
    }
    await unlinkSegments(this.root, segments);
    // After the index switch and the readers: the objects go before the entries that name them.
    await this.options.backend?.removed(segments);
    const index = this.index;
    try {
      await index.env.transaction(() => {
        for (const segment of segments) {
          index.retired.removeSync(segment);
          index.segments.removeSync(segment);
        }
      });
    } catch (err) {
      // The file is gone; the next start removes the entries (removeRetiredSegments).
      throw storageError(await lmdbCause(err));
    }
    return freed;
  }

  /** Deletes the backend's orphan objects (garbage collection's last step); nothing on a plain directory. */
  async sweepBackendOrphans(): Promise<{ objects: number; bytes: number }> {
    return (await this.options.backend?.sweepOrphans()) ?? { objects: 0, bytes: 0 };
  }

  /** How much the datastore holds (an empty one may move: relocate()). */
  contents(): { objects: number; snapshots: number } {
    return { objects: this.index.objects.getKeysCount(), snapshots: this.index.snapshots.getKeysCount() };
  }

  /**
   * Moves an empty datastore to `newRoot` with its identity (id, chunker seed) and reopens it
   * there. A pool created under a fresh appliance takes the datastore this way: every part of
   * the daemon holds this object, so all of them follow without a restart. Refused once
   * anything is stored: moving backups is a copy, not a reopen.
   */
  relocate(newRoot: string): Promise<void> {
    return this.serial(async () => {
      if (this.closed) throw new HavenError('SHUTTING_DOWN');
      const c = this.contents();
      if (c.objects > 0 || c.snapshots > 0 || this.pending.size > 0) {
        throw new HavenError('POOL_DATASTORE_NOT_EMPTY', { path: this.currentRoot, objects: c.objects + this.pending.size, snapshots: c.snapshots });
      }
      const existing = readIdentity(newRoot);
      if (existing && existing.id !== this.identity.id) {
        throw new HavenError('DATASTORE_INVALID', { path: newRoot, detail: `another datastore (${existing.id}) is already there` });
      }
      writeIdentity(newRoot, this.identity);
      const index = openObjectIndex(newRoot, this.identity.id);
      let writer: SegmentWriter;
      try {
        await recoverSegments(newRoot, index);
        writer = await openWriter(newRoot, this.options);
      } catch (err) {
        await index.close();
        throw storageError(err);
      }
      const old = { writer: this.writer, reader: this.reader, index: this.currentIndex };
      this.writer = writer;
      this.reader = new SegmentReader(newRoot, this.options.backend?.readFs ?? this.options.segmentFs);
      this.recent.clear();
      this.currentIndex = index;
      this.currentRoot = newRoot;
      await old.writer.close();
      await old.reader.close();
      await old.index.close();
    });
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      if (this.closed) return;
      await this.commitPending([]).catch(() => undefined);
      // A graceful stop puts everything committed in the bucket (within the backend's bound).
      if (this.options.backend && this.writer.length > 0) await this.rotate().catch(() => undefined);
      this.closed = true;
      await this.options.backend?.close();
      await this.writer.close();
      await this.reader.close();
      await this.index.close();
    });
  }
}
