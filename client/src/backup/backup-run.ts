// One backup, end to end (DESIGN section 3 and 9): start a session, walk the sources on the
// main thread while content workers read, chunk, hash, compress and upload file content,
// build each directory's tree as soon as its entries are known, upload trees and lists in
// batches, then commit. Files whose lstat matches the files cache (or, without a cache, the
// previous snapshot) are not read at all.

import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { HavenError } from '../../../core/src/errors.js';
import type { ChunkerParams, CommitRequest, CommitResponse, SessionInfo, StartBackupResponse } from '../../../core/src/api/backup.js';
import type { Counters } from '../../../core/src/api/common.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { fromHex, sha256 } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { buildListObjects } from '../../../core/src/objects/list.js';
import { MAX_INLINE_CHUNKS, MAX_TREE_DEPTH, buildTreeObjects, type TreeEntry } from '../../../core/src/objects/tree.js';
import type { HavenAddon, NativePath } from '../../../core/src/native/addon.js';
import type { ApiClient } from '../api/api-client.js';
import type { ServerConnection } from '../api/http-transport.js';
import { joinPath, showPath } from '../fs/names.js';
import { DirScanner, ScannedDir, inodeKey, statPath, type ScannedEntry } from '../fs/dir-scan.js';
import { dirScope, sameSubtrees, subtreesField, type DirRecord, type DirRecords } from './dir-records.js';
import type { PosixOps } from '../fs/posix-ops.js';
import { ObjectFetcher } from '../remote/object-fetcher.js';
import { TreeSource } from '../remote/tree-source.js';
import { BatchingUploader } from './batching-uploader.js';
import { startContentPool, type ContentPool } from './content-pool.js';
import { baseEntry, entryType, readTarget, sortByName } from './entry-metadata.js';
import { pathMatcher, type PathMatcher } from '../../../core/src/text/path-glob.js';
import { CACHEDIR_TAG, isCacheTag } from './excludes.js';
import { FileBatcher } from './file-batcher.js';
import { warningsToKeep } from './kept-warnings.js';
import { FilesCache, type CachedContent, type FileIdentity } from './files-cache.js';
import { PreviousTrees } from './previous-trees.js';
import { Settled } from './settled.js';
import { DepthFirst } from './depth-first.js';
import { layoutSources, type SourceNode } from './source-layout.js';
import { chunkStdin } from './stdin-source.js';
import { Uploader, type UploadTotals } from './uploader.js';

export interface BackupRequest {
  group: string;
  paths: string[];
  tags: string[];
  excludes: string[];
  host: string;
  /**
   * Stay on each source's file system: a directory on another device (a mount point, a btrfs
   * subvolume) is kept as an empty directory, as restic's --one-file-system keeps it (so a restore recreates the mount point).
   */
  oneFileSystem?: boolean;
  /**
   * Keep a directory marked as a cache (a CACHEDIR.TAG file that begins with the standard
   * signature, https://bford.info/cachedir/) with its tag only, as restic's and borg's
   * --exclude-caches leave its content out.
   */
  excludeCaches?: boolean;
  /** Back up standard input as one file of this name. */
  stdinName?: string;
}

export interface BackupEnv {
  api: ApiClient;
  connection: ServerConnection;
  /** Root of the client's caches; null disables the files cache. */
  cacheDir: string | null;
  workers: number;
  zstdLevel: number;
  posix: PosixOps;
  /** The native addon (one-call directory scans), or null for the fallbacks. */
  addon: HavenAddon | null;
  stdin?: AsyncIterable<Uint8Array>;
  /** Files the walk may hold ahead of the content workers (file-batcher.ts; tests make it small). */
  aheadFiles?: number;
}

export interface WalkStats {
  /** Most entries of listed directories not yet stored as trees at once. */
  entriesPeak: number;
  /** Most files decided to be read and not yet answered by a worker at once. */
  filesAheadPeak: number;
}

export interface BackupProgress {
  files: number;
  dirs: number;
  bytes: number;
  filesCached: number;
  filesRead: number;
  bytesRead: number;
  /** Of bytesRead, the bytes of sparse files' holes that were known without reading them. */
  bytesHoles: number;
}

export interface BackupOutcome {
  snapshot: SnapshotSummary;
  session: SessionInfo;
  stats: Counters;
  warnings: string[];
  /**
   * Objects the appliance had quarantined (its verification found their records damaged) that
   * this backup uploaded anew, hex: the backup is complete, and older snapshots are whole again.
   */
  healed: string[];
  native: boolean;
}

function emptyProgress(): BackupProgress {
  return { files: 0, dirs: 0, bytes: 0, filesCached: 0, filesRead: 0, bytesRead: 0, bytesHoles: 0 };
}

/** Checks the sources before a session is opened: a missing top-level path is an error, not a warning. */
export function checkSources(paths: readonly string[]): void {
  for (const p of paths) {
    try {
      lstatSync(p);
    } catch (err) {
      throw new HavenError('SOURCE_UNREADABLE', { path: p, detail: (err as Error).message });
    }
  }
}

/** The digests an OBJECTS_DAMAGED refusal lists (details.damaged). */
function damagedOf(err: HavenError): string[] {
  const damaged = (err.details as { damaged?: unknown } | undefined)?.damaged;
  return Array.isArray(damaged) ? damaged.filter((d): d is string => typeof d === 'string') : [];
}

/** Commits asked again after COMMIT_OUTRUN: a collector's removals outran the walk, the session is intact. */
const OUTRUN_RETRIES = 3;

async function commitPatiently(api: BackupEnv['api'], session: string, req: CommitRequest): Promise<CommitResponse> {
  for (let retry = 0; ; retry++) {
    try {
      return await api.commit(session, req);
    } catch (err) {
      if (!(err instanceof HavenError && err.code === 'COMMIT_OUTRUN') || retry >= OUTRUN_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * (retry + 1)));
    }
  }
}

export class BackupRun {
  readonly progress = emptyProgress();
  /** How much the walk held at most (tests check the bounds hold). */
  readonly walkStats: WalkStats = { entriesPeak: 0, filesAheadPeak: 0 };
  readonly warnings: string[] = [];
  private readonly exclude: PathMatcher;

  constructor(private readonly req: BackupRequest, private readonly env: BackupEnv) {
    this.exclude = pathMatcher(req.excludes);
  }

  async run(): Promise<BackupOutcome> {
    const { api } = this.env;
    const started = Date.now();
    const session = await api.startBackup({ group: this.req.group, host: this.req.host, paths: this.req.paths, tags: this.req.tags });
    let cache: FilesCache | null = null;
    try {
      cache = this.openCache((await api.health()).datastore);
      const settled = new Settled(started);
      let attempt = await this.attempt(session, cache, true, settled);
      let healed: string[] = [];
      let committed;
      try {
        committed = await commitPatiently(api, session.session, this.commitRequest(session, started, attempt));
      } catch (err) {
        // The cache (or previous snapshot) named chunks the appliance no longer has, or has
        // found damaged: redo the walk reading every file, in the same session, uploading
        // what `has` answers absent, and commit again.
        if (!(err instanceof HavenError && (err.code === 'MISSING_OBJECTS' || err.code === 'OBJECTS_DAMAGED'))) throw err;
        if (err.code === 'MISSING_OBJECTS') this.warnings.push('the files cache named missing chunks; every file was read again');
        else healed = damagedOf(err);
        Object.assign(this.progress, emptyProgress());
        attempt = await this.attempt(session, null, false, settled);
        committed = await commitPatiently(api, session.session, this.commitRequest(session, started, attempt));
      }
      if (cache) await this.saveCache(cache);
      return { snapshot: committed.snapshot, session: committed.session, stats: committed.snapshot.stats, warnings: this.warnings, healed, native: attempt.native };
    } catch (err) {
      // A failed backup ends its session at once: an open session pins what it has seen and
      // holds back garbage collection (a full datastore's way back) until it expires idle.
      await api.abort(session.session).catch(() => undefined); // the appliance may be gone; expiry remains
      throw err;
    } finally {
      await cache?.close();
    }
  }

  /**
   * The files cache of this datastore and group, or null without one. A cache that cannot be
   * opened (its directory unwritable, its disk full) is a warning, not a failed backup: the
   * previous snapshot stands in for it.
   */
  private openCache(datastore: string): FilesCache | null {
    if (!this.env.cacheDir) return null;
    const dir = join(this.env.cacheDir, datastore, this.req.group);
    try {
      const cache = FilesCache.open(dir);
      if (cache.damaged) this.warnings.push(cache.damaged);
      return cache;
    } catch (err) {
      this.warnings.push(`the files cache in ${dir} could not be opened (${(err as Error).message}); this backup ran without it`);
      return null;
    }
  }

  /** Saves what the committed backup recorded; a cache that cannot be written is a warning (the snapshot is committed). */
  private async saveCache(cache: FilesCache): Promise<void> {
    try {
      await cache.save();
    } catch (err) {
      this.warnings.push(`the files cache could not be saved (${(err as Error).message}); the next backup reads the files this one read again`);
    }
  }

  /** The root, the counters, and the first warnings for the appliance to keep, if it keeps them. */
  private commitRequest(session: StartBackupResponse, started: number, a: Attempt): CommitRequest {
    const req: CommitRequest = { root: a.rootHex, stats: this.counters(started, a) };
    const kept = warningsToKeep(this.warnings, session.limits.maxWarnings ?? 0);
    if (kept.length > 0) req.warnings = kept;
    return req;
  }

  private counters(started: number, a: Attempt): Counters {
    const p = this.progress;
    const sent = a.totals.reduce((n, t) => n + t.sent, 0);
    return {
      files: p.files, dirs: p.dirs, bytes: p.bytes, filesCached: p.filesCached, filesRead: p.filesRead,
      bytesRead: p.bytesRead, bytesHoles: p.bytesHoles, objectsSent: sent, bytesSent: a.totals.reduce((n, t) => n + t.storedSent, 0),
      warnings: this.warnings.length, durationMs: Date.now() - started,
    };
  }

  /** `settled`: the stats a later backup may trust (settled.ts), from this backup's start. */
  private async attempt(session: StartBackupResponse, cache: FilesCache | null, usePrevious: boolean, settled: Settled): Promise<Attempt> {
    const { api, connection } = this.env;
    const limits = { level: this.env.zstdLevel, maxHasDigests: Math.min(session.limits.maxHasDigests, 16384) };
    const pool = startContentPool(Math.max(1, Math.min(this.env.workers, session.limits.maxStreams - 1)), {
      connection, session: session.session, chunker: session.chunker, level: limits.level, maxHasDigests: limits.maxHasDigests,
    });
    // Trees and lists are small: 1 MiB blocks; the rare larger one goes out in a buffer of its own.
    const main = new Uploader(api, session.session, { ...limits, blockBytes: 1 << 20 });
    const walk = new Walk(this, {
      pool, files: new FileBatcher(pool, this.env.aheadFiles), trees: new BatchingUploader(main), main, cache,
      // Without a files cache, or for files on a device it has never seen (a file system
      // snapshot mounted anew: its own st_dev, the same inodes and times), the previous
      // snapshot stands in; it is loaded only for the directories that need it.
      previous: usePrevious && session.previous
        ? new PreviousTrees(new TreeSource(new ObjectFetcher(api, session.previous.id)), fromHex(session.previous.root), new Settled(Date.parse(session.previous.time)))
        : null,
      chunker: session.chunker,
      settled,
      cacheEmpty: !cache || cache.empty,
    });
    try {
      const root = await walk.root(layoutSources(this.req.paths, this.req.stdinName).root);
      await walk.deps.trees.drain();
      const summaries = await pool.finish();
      const totals = [...summaries.map((s) => s.totals), await main.finish()];
      return { rootHex: root.toString('hex'), totals, native: summaries.every((s) => s.native) };
    } finally {
      this.walkStats.filesAheadPeak = Math.max(this.walkStats.filesAheadPeak, walk.deps.files.peakAhead);
      await pool.close();
    }
  }

  // Used by Walk:
  get options(): { req: BackupRequest; env: BackupEnv; exclude: PathMatcher } {
    return { req: this.req, env: this.env, exclude: this.exclude };
  }
}

interface Attempt {
  rootHex: string;
  totals: UploadTotals[];
  native: boolean;
}

/** A file's entry completed with its content (null: the file was skipped). */
function withContent(e: TreeEntry, content: CachedContent | null): TreeEntry | null {
  if (!content) return null;
  if (content.list) e.list = content.list;
  else if (content.data && content.data.length > 0) e.data = content.data;
  if (content.xattrs && content.xattrs.length > 0) e.xattrs = content.xattrs;
  return e;
}

/** One directory being walked: its listing, the indices of the entries its tree holds, and those entries as made. */
interface DirAt {
  fsPath: NativePath;
  stored: string;
  components: string[];
  place: readonly number[];
  prev: Map<string, TreeEntry> | null;
  scanned: ScannedDir;
  kept: readonly number[];
  entries: Array<TreeEntry | null>;
  /** Subdirectories walked before their entries are made (an unchanged listing): their trees, null if skipped. */
  walked: Array<Buffer | null | undefined>;
  /** The file system the walk stays on (--one-file-system), null when it crosses into any. */
  device: Device | null;
}

/** A device number (st_dev) as its high and low 32 bits, as the scanner gives it. */
type Device = readonly [number, number];

interface WalkDeps {
  pool: ContentPool;
  files: FileBatcher;
  trees: BatchingUploader;
  main: Uploader;
  cache: FilesCache | null;
  previous: PreviousTrees | null;
  chunker: ChunkerParams;
  settled: Settled;
  /** No files cache, or an empty one: the previous snapshot stands in for every directory. */
  cacheEmpty: boolean;
}

/** The walk of one attempt: entries, content, trees. */
class Walk {
  private readonly hardlinks = new Map<string, Promise<CachedContent | null>>();
  /** Directory scans in flight: enough to keep libuv's four threads listing. */
  private readonly scans = new DepthFirst(32);
  private readonly scanner: DirScanner;
  private readonly dirScope: Buffer;
  private readonly inodeScratch = Buffer.alloc(16);
  /** Files (inode keys, latin1) that changed while they were read: no record vouches for them. */
  private readonly changedWhileRead = new Set<string>();
  /** Entries of directories listed and not yet stored as trees: what the walk holds in memory. */
  private liveEntries = 0;
  private emptyTree: Buffer | null = null;

  constructor(private readonly run: BackupRun, readonly deps: WalkDeps) {
    this.scanner = new DirScanner(run.options.env.addon);
    this.dirScope = dirScope(run.options.req.excludes);
  }

  /** The device a source's walk stays on (--one-file-system), else null. */
  private deviceOf(s: { devHi: number; devLo: number }): Device | null {
    return this.run.options.req.oneFileSystem ? [s.devHi, s.devLo] : null;
  }

  /** Whether a directory is on another file system than the walk stays on: kept empty, not descended into. */
  private crossesDevice(s: { devHi: number; devLo: number }, device: Device | null): boolean {
    return device !== null && (s.devHi !== device[0] || s.devLo !== device[1]);
  }

  /** The tree of a mount point the walk does not cross: an empty directory (stored once per run). */
  private mountPointTree(): Buffer {
    this.emptyTree ??= this.storeTree([], true);
    return this.emptyTree;
  }

  private warn(path: NativePath, err: unknown): void {
    const e = err as NodeJS.ErrnoException;
    this.run.warnings.push(`${showPath(path)}: ${e.code ? `${e.code} ` : ''}${e.message.replace(/^[A-Z]+: /, '')}`);
  }

  async root(node: SourceNode): Promise<Buffer> {
    if (node.kind === 'real') return this.dir(node.fsPath, '', [], [], this.deviceOf(statPath(node.fsPath, { name: '' })));
    if (node.kind !== 'virtual') throw new RangeError('the root must be a directory');
    return this.virtualDir(node, [], []);
  }

  private async virtualDir(node: Extract<SourceNode, { kind: 'virtual' }>, components: string[], place: readonly number[]): Promise<Buffer> {
    const entries: Array<TreeEntry | null | Promise<TreeEntry | null>> = [];
    for (const [name, child] of node.children) {
      const path = [...components, name];
      if (child.kind === 'stdin') entries.push(this.stdinEntry(name));
      else if (child.kind === 'virtual') {
        entries.push((async () => {
          const e = this.describeVirtual(name, child.fsPath);
          e.subtree = await this.virtualDir(child, path, [...place, entries.length]);
          return e;
        })());
      } else {
        const s = statPath(child.fsPath, { name });
        // a source is walked on its own file system, whatever the one of the path above it
        entries.push(this.entry(child.fsPath, s, child.fsPath, components, undefined, place, entries.length, undefined, this.deviceOf(s)));
      }
    }
    return this.storeTree(await Promise.all(entries), false);
  }

  private describeVirtual(name: string, fsPath: string): TreeEntry {
    const s = statPath(fsPath, { name });
    this.run.progress.dirs++;
    return baseEntry(s, 'dir', () => inodeKey(s));
  }

  /** `place`: the directory's place in the tree's pre-order (DepthFirst), its ancestors' indices among their siblings. */
  private async dir(fsPath: NativePath, stored: string, components: string[], place: readonly number[], device: Device | null): Promise<Buffer> {
    // the walk runs no further ahead of the content workers than the batcher allows
    for (let room = this.deps.files.room(place); room; room = this.deps.files.room(place)) await room;
    let scanned = ScannedDir.EMPTY;
    let listed = true;
    try {
      scanned = await this.scans.run(place, () => this.scanner.scan(fsPath));
    } catch (err) {
      this.warn(fsPath, err);
      listed = false;
    }
    const prev = this.deps.previous && this.needsPrevious(scanned) ? await this.deps.previous.listing(components) : null;
    const kept = this.included(scanned, fsPath, stored);
    const d: DirAt = { fsPath, stored, components, place, prev, scanned, kept, entries: new Array(kept.length).fill(null), walked: [], device };
    this.liveEntries += kept.length;
    const stats = this.run.walkStats;
    if (this.liveEntries > stats.entriesPeak) stats.entriesPeak = this.liveEntries;
    try {
      // a directory listed in full, with nothing vanished, may have a record
      return await this.dirTree(d, listed && kept.length === kept.listed);
    } finally {
      this.liveEntries -= kept.length;
    }
  }

  /** Whether the previous snapshot must stand in for the files cache in this directory: no cache, or a file on a device it does not know. */
  private needsPrevious(scanned: ScannedDir): boolean {
    const { cache, cacheEmpty } = this.deps;
    if (cacheEmpty || !cache) return true;
    return scanned.someFileDevice((hi, lo) => !cache.knowsDevice(hi, lo));
  }

  /** The tree of a directory listed into `d`; `whole`: listed in full, nothing vanished. */
  private async dirTree(d: DirAt, whole: boolean): Promise<Buffer> {
    const { scanned, kept } = d;
    const rec = whole ? this.recordOf(d) : null;
    if (rec?.known?.listing.equals(rec.state)) {
      // The same listing as last time: walk the subdirectories first (they must be walked
      // anyway); if their trees are the same too, so is this one, and no entry is made.
      await this.walkSubdirs(d);
      if (sameSubtrees(rec.known.subtrees, this.subtrees(d))) {
        this.unchangedFiles(scanned, kept);
        rec.records.keep(rec.key);
        return rec.known.tree;
      }
    }
    await this.fill(d);
    // the scanner returns names in the tree's order already
    const tree = this.storeTree(d.entries, true);
    if (rec && this.asListed(d) && this.deps.settled.listing(d.scanned)) rec.records.record(rec.key, { listing: rec.state, tree, subtrees: subtreesField(this.subtrees(d)) });
    return tree;
  }

  /** The directory's record key, listing state and last record; null without a files cache or the addon. */
  private recordOf(d: DirAt): { records: DirRecords; key: Buffer; state: Buffer; known: DirRecord | null } | null {
    const records = this.deps.cache?.dirs;
    const state = records ? d.scanned.state() : null;
    if (!records || !state) return null;
    const key = records.key(this.dirScope, d.fsPath, d.stored);
    return { records, key, state, known: records.lookup(key) };
  }

  /** The indices of the entries the tree holds (not excluded, not vanished), and how many were listed. */
  private included(scanned: ScannedDir, fsPath: NativePath, stored: string): number[] & { listed: number } {
    const exclude = this.run.options.req.excludes.length > 0 ? this.run.options.exclude : null;
    const kept: number[] = [];
    let listed = 0;
    for (let i = 0; i < scanned.length; i++) {
      if (exclude) {
        const name = scanned.name(i);
        if (exclude(stored === '' ? name : `${stored}/${name}`, name)) continue;
      }
      listed++;
      const errno = scanned.errno(i);
      if (errno !== 0) {
        this.run.warnings.push(`${showPath(joinPath(fsPath, scanned.entry(i).name))}: vanished during the backup (errno ${errno}); skipped`);
        continue;
      }
      kept.push(i);
    }
    if (this.run.options.req.excludeCaches) {
      const tag = kept.find((i) => scanned.name(i) === CACHEDIR_TAG && scanned.isFile(i));
      if (tag !== undefined && isCacheTag(joinPath(fsPath, scanned.entry(tag).name))) return Object.assign([tag], { listed });
    }
    return Object.assign(kept, { listed });
  }

  /** Walks the subdirectories alone (no entries made, their xattrs not read), into `d.walked`. */
  private async walkSubdirs(d: DirAt): Promise<void> {
    const { scanned, kept, fsPath, stored, components, place } = d;
    const { files } = this.deps;
    const walks: Array<Promise<void>> = [];
    for (let k = 0; k < kept.length; k++) {
      const i = kept[k] as number;
      if (!scanned.isDir(i)) continue;
      for (let more = files.room(place, k); more; more = files.room(place, k)) await more;
      const s = scanned.entry(i);
      if (this.crossesDevice(s, d.device)) {
        d.walked[k] = this.mountPointTree();
        continue;
      }
      const n = s.name;
      const p = joinPath(fsPath, n);
      walks.push(this.subdir(p, stored === '' ? n.name : `${stored}/${n.name}`, [...components, n.name], [...place, k], d.device).then(
        (tree) => void (d.walked[k] = tree),
        (err: unknown) => {
          this.warn(p, err);
          d.walked[k] = null;
        },
      ));
    }
    await Promise.all(walks);
  }

  /**
   * Makes the directory's entries in `d.entries` (a subdirectory already walked gets its tree
   * from `d.walked`). Entries known at once (a files cache hit, most of an unchanged backup)
   * are placed without a promise each; only those that wait (a file to read, a subdirectory)
   * are awaited.
   */
  private async fill(d: DirAt): Promise<void> {
    const { scanned, kept, entries, fsPath, stored, components, place, prev } = d;
    const { files } = this.deps;
    const waits: Array<Promise<void>> = [];
    for (let k = 0; k < kept.length; k++) {
      const i = kept[k] as number;
      // and within a large directory: each file waiting for a worker holds its entry, promises
      // and async frame on this thread
      for (let more = files.room(place, k); more; more = files.room(place, k)) await more;
      const s = scanned.entry(i);
      const n = s.name;
      const e = this.entry(joinPath(fsPath, n), s, stored === '' ? n.name : `${stored}/${n.name}`, components, prev?.get(n.name), place, k, d.walked[k], d.device);
      if (!(e instanceof Promise)) entries[k] = e;
      else {
        waits.push(e.then((done) => {
          entries[k] = done;
        }));
      }
    }
    if (waits.length > 0) await Promise.all(waits);
  }

  /** The subdirectories' trees in order (undefined where one was skipped). */
  private subtrees({ scanned, kept, entries, walked }: DirAt): Array<Uint8Array | undefined> {
    const trees: Array<Uint8Array | undefined> = [];
    for (let k = 0; k < kept.length; k++) if (scanned.isDir(kept[k] as number)) trees.push(entries[k]?.subtree ?? walked[k] ?? undefined);
    return trees;
  }

  /** Whether every entry went into the tree as listed: none skipped, no file read at another size or changed while read. */
  private asListed({ scanned, kept, entries }: DirAt): boolean {
    for (let k = 0; k < kept.length; k++) {
      const e = entries[k];
      if (!e || (e.type === 'file' && e.size !== scanned.size(kept[k] as number))) return false;
      if (this.changedWhileRead.size > 0 && e.type === 'file') {
        scanned.inodeKeyInto(kept[k] as number, this.inodeScratch);
        if (this.changedWhileRead.has(this.inodeScratch.toString('latin1'))) return false;
      }
    }
    return true;
  }

  /** The files of a directory found unchanged: counted as the files cache's hits, their cache entries kept. */
  private unchangedFiles(scanned: ScannedDir, kept: readonly number[]): void {
    const progress = this.run.progress;
    const cache = this.deps.cache;
    for (const i of kept) {
      if (!scanned.isFile(i)) continue;
      const size = scanned.size(i);
      progress.files++;
      progress.filesCached++;
      progress.bytes += size;
      if (cache) {
        scanned.inodeKeyInto(i, this.inodeScratch);
        cache.keep(this.inodeScratch);
      }
    }
  }

  /** `walked`: a subdirectory's tree when it was walked already (null: skipped); `device`: the file system the walk stays on. */
  private entry(
    p: NativePath, s: ScannedEntry, stored: string, components: string[], prev: TreeEntry | undefined, place: readonly number[], index: number,
    walked: Buffer | null | undefined, device: Device | null,
  ): TreeEntry | null | Promise<TreeEntry | null> {
    const type = entryType(s.mode);
    const e = baseEntry(s, type, () => inodeKey(s));
    if (type !== 'file') {
      const tree = type === 'dir' && walked === undefined && this.crossesDevice(s, device) ? this.mountPointTree() : walked;
      return this.otherEntry(p, e, stored, [...components, e.name], [...place, index], tree, device);
    }
    // the files cache holds a file's xattrs with its content: a hit needs no syscall
    let content: CachedContent | null | Promise<CachedContent | null>;
    try {
      content = this.fileContent(p, s, e, prev);
    } catch (err) {
      this.warn(p, err);
      return null;
    }
    if (!(content instanceof Promise)) return withContent(e, content);
    return content.then((c) => withContent(e, c), (err: unknown) => {
      this.warn(p, err);
      return null;
    });
  }

  /** A directory, symlink or special file. */
  private async otherEntry(p: NativePath, e: TreeEntry, stored: string, components: string[], place: readonly number[], walked: Buffer | null | undefined, device: Device | null): Promise<TreeEntry | null> {
    const { type } = e;
    try {
      const xattrs = await this.xattrs(p);
      if (xattrs) e.xattrs = xattrs;
      if (type === 'dir') {
        const tree = walked !== undefined ? walked : await this.subdir(p, stored, components, place, device);
        if (!tree) return null;
        e.subtree = tree;
      } else if (type === 'symlink') readTarget(p, e);
    } catch (err) {
      this.warn(p, err);
      return null;
    }
    return e;
  }

  /** A subdirectory's tree (`components` include its name); null when it is nested too deep. */
  private async subdir(p: NativePath, stored: string, components: string[], place: readonly number[], device: Device | null): Promise<Buffer | null> {
    // The appliance refuses deeper snapshots (MAX_TREE_DEPTH): skip, so the rest is kept.
    if (components.length > MAX_TREE_DEPTH) {
      this.run.warnings.push(`${showPath(p)}: nested deeper than ${MAX_TREE_DEPTH} directories; skipped`);
      return null;
    }
    this.run.progress.dirs++;
    return this.dir(p, stored, components, place, device);
  }

  /** Sorted xattrs, or undefined when there are none (or they cannot be read: a warning). */
  private async xattrs(p: NativePath): Promise<Array<[string, Uint8Array]> | undefined> {
    try {
      const x = await this.run.options.env.posix.readXattrs(p);
      return x.length > 0 ? x.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : undefined;
    } catch (err) {
      this.warn(p, err);
      return undefined;
    }
  }

  private fileContent(p: NativePath, s: ScannedEntry, e: TreeEntry, prev: TreeEntry | undefined): CachedContent | null | Promise<CachedContent | null> {
    const progress = this.run.progress;
    progress.files++;
    progress.bytes += e.size;
    const id: FileIdentity = { key: inodeKey(s), size: e.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
    if (e.hardlink === undefined) return this.readContent(p, id, e, prev);
    const key = id.key.toString('latin1');
    let shared = this.hardlinks.get(key);
    if (!shared) {
      shared = Promise.resolve(this.readContent(p, id, e, prev));
      this.hardlinks.set(key, shared);
    }
    return shared;
  }

  /** A file's content and xattrs: from the files cache or the previous snapshot at once, else read by a worker. */
  private readContent(p: NativePath, id: FileIdentity, e: TreeEntry, prev: TreeEntry | undefined): CachedContent | Promise<CachedContent | null> {
    const { cache } = this.deps;
    const hit = cache?.lookup(id);
    if (hit) {
      this.run.progress.filesCached++;
      return hit;
    }
    const reused = this.deps.previous?.reusable(prev, e);
    if (reused) {
      this.run.progress.filesCached++;
      this.remember(id, reused);
      return reused;
    }
    return this.readFile(p, id, e);
  }

  /** A file the cache cannot vouch for: its xattrs, then its content through a worker. */
  private async readFile(p: NativePath, id: FileIdentity, e: TreeEntry): Promise<CachedContent | null> {
    const { files } = this.deps;
    // counted against the walk's bound now, before anything awaits (file-batcher.ts)
    if (e.size > 0) files.hold();
    const xattrs = await this.xattrs(p);
    if (e.size === 0) {
      const empty: CachedContent = xattrs ? { xattrs } : {};
      this.remember(id, empty);
      return empty;
    }
    const r = await files.add({ path: p, size: e.size, mtimeNs: id.mtimeNs, ctimeNs: id.ctimeNs });
    if (r.error !== undefined || !r.digests) {
      this.run.warnings.push(`${showPath(p)}: ${r.error ?? 'unreadable'} (skipped)`);
      return null;
    }
    if (r.changed) {
      this.changedWhileRead.add(id.key.toString('latin1'));
      this.run.warnings.push(`${showPath(p)}: changed while it was read; the snapshot holds the bytes as read, which may mix two versions (it is read again next time)`);
    }
    this.run.progress.filesRead++;
    this.run.progress.bytesRead += r.bytes;
    this.run.progress.bytesHoles += r.holeBytes ?? 0;
    e.size = r.bytes;
    const digests: Buffer[] = [];
    const all = Buffer.from(r.digests.buffer, r.digests.byteOffset, r.digests.byteLength);
    for (let i = 0; i < all.length; i += 32) digests.push(all.subarray(i, i + 32));
    let content: CachedContent;
    if (digests.length > MAX_INLINE_CHUNKS) {
      const lists = buildListObjects(digests);
      let last: Buffer = Buffer.alloc(0);
      for (const obj of lists) {
        last = sha256(obj);
        this.deps.trees.add(ObjectKind.list, last, obj);
      }
      content = { list: last };
    } else content = { data: digests };
    if (xattrs) content.xattrs = xattrs;
    if (r.bytes === id.size && !r.changed) this.remember(id, content);
    return content;
  }

  /** Records a file's content in the files cache, unless its stat could hide a later change (settled.ts). */
  private remember(id: FileIdentity, content: CachedContent): void {
    if (this.deps.settled.file(id.ctimeNs)) this.deps.cache?.record(id, content);
  }

  private async stdinEntry(name: string): Promise<TreeEntry> {
    const stdin = this.run.options.env.stdin;
    if (!stdin) throw new RangeError('no standard input to back up');
    const { digests, bytes } = await chunkStdin(stdin, this.deps.chunker, this.deps.main);
    const now = BigInt(Date.now()) * 1_000_000n;
    const e: TreeEntry = {
      name, type: 'file', mode: 0o644, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtimeNs: now, ctimeNs: now, size: bytes,
    };
    this.run.progress.files++;
    this.run.progress.bytes += bytes;
    this.run.progress.bytesRead += bytes;
    if (digests.length > MAX_INLINE_CHUNKS) {
      const lists = buildListObjects(digests);
      for (const obj of lists) this.deps.trees.add(ObjectKind.list, sha256(obj), obj);
      e.list = sha256(lists[lists.length - 1] as Uint8Array);
    } else if (digests.length > 0) e.data = digests;
    return e;
  }

  private storeTree(entries: Array<TreeEntry | null>, sorted: boolean): Buffer {
    const present = entries.filter((e): e is TreeEntry => e !== null);
    const objects = buildTreeObjects(sorted ? present : sortByName(present));
    let digest: Buffer = Buffer.alloc(0);
    for (const obj of objects) {
      digest = sha256(obj);
      this.deps.trees.add(ObjectKind.tree, digest, obj);
    }
    return digest;
  }
}

