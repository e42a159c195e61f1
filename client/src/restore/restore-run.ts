// A restore, end to end: plan from the snapshot's trees, create directories, hand files to
// the writer threads in jobs (content, then each file's metadata), create hard links,
// symlinks, fifos and device nodes, and finally the directories' own metadata, deepest
// first (creating entries inside a directory changes its mtime).
//
// Nothing is followed out of the target: every name was validated by the tree decoder,
// directories are created by us (an existing non-directory in the way is removed under
// --overwrite, never followed), files are created with O_EXCL|O_NOFOLLOW after removing
// whatever was there, and metadata calls act on links themselves (lchown, utimensat with
// AT_SYMLINK_NOFOLLOW, l*xattr).

import { chmodSync, lchownSync, linkSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { HavenError } from '../../../core/src/errors.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { fromHex } from '../../../core/src/objects/digest.js';
import type { TreeEntry } from '../../../core/src/objects/tree.js';
import type { NativePath } from '../../../core/src/native/addon.js';
import type { ApiClient } from '../api/api-client.js';
import type { ServerConnection } from '../api/http-transport.js';
import { showPath } from '../fs/names.js';
import type { PosixOps } from '../fs/posix-ops.js';
import { ObjectFetcher } from '../remote/object-fetcher.js';
import { TreeSource } from '../remote/tree-source.js';
import { WorkerPool } from '../workers/worker-pool.js';
import type { RestoreFileItem, RestoreJob, RestoreJobResult, RestoreWorkerData } from './restore-messages.js';
import { planRestore, type PlannedItem, type RestorePlan } from './restore-plan.js';

export interface RestoreRequest {
  snapshot: SnapshotSummary;
  target: string;
  includes: string[];
  overwrite: boolean;
}

export interface RestoreEnv {
  api: ApiClient;
  connection: ServerConnection;
  workers: number;
  posix: PosixOps;
  maxChunk: number;
}

export interface RestoreProgress {
  files: number;
  filesDone: number;
  bytes: number;
  bytesDone: number;
}

export interface RestoreOutcome {
  files: number;
  dirs: number;
  links: number;
  others: number;
  bytes: number;
  bytesWritten: number;
  bytesSparse: number;
  warnings: string[];
}

const JOB_BYTES = 32 << 20;
const JOB_FILES = 1024;

export class RestoreRun {
  readonly progress: RestoreProgress = { files: 0, filesDone: 0, bytes: 0, bytesDone: 0 };
  private readonly warnings: string[] = [];
  private readonly asRoot = process.getuid?.() === 0;

  constructor(private readonly req: RestoreRequest, private readonly env: RestoreEnv) {}

  private warn(path: NativePath, what: string, err: unknown): void {
    this.warnings.push(`${showPath(path)}: ${what}: ${(err as Error).message}`);
  }

  async run(): Promise<RestoreOutcome> {
    this.prepareTarget();
    const fetcher = new ObjectFetcher(this.env.api, this.req.snapshot.id);
    const plan = await planRestore(new TreeSource(fetcher), fromHex(this.req.snapshot.root), this.req.target, this.req.includes);
    this.progress.files = plan.files.length;
    this.progress.bytes = plan.bytes;
    for (const d of plan.dirs) this.makeDir(d.path);
    if (this.req.overwrite) for (const item of [...plan.files, ...plan.links, ...plan.others]) this.clear(item.path);
    const written = await this.writeFiles(plan);
    for (const l of plan.links) {
      try {
        linkSync(l.to, l.path);
      } catch (err) {
        this.warn(l.path, 'hard link', err);
      }
    }
    for (const o of plan.others) await this.makeOther(o);
    // Deepest first: a directory's mtime is final only once nothing more is created in it.
    for (const d of [...plan.dirs].reverse()) await this.applyMetadata(d.path, d.entry, false);
    return {
      files: plan.files.length, dirs: plan.dirs.length, links: plan.links.length, others: plan.others.length, bytes: plan.bytes,
      bytesWritten: written.bytesWritten, bytesSparse: written.bytesSparse, warnings: [...this.warnings, ...written.warnings],
    };
  }

  private prepareTarget(): void {
    const { target, overwrite } = this.req;
    const st = lstatSync(target, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new HavenError('TARGET_NOT_EMPTY', { path: target });
    if (st && !overwrite && readdirSync(target).length > 0) throw new HavenError('TARGET_NOT_EMPTY', { path: target });
    mkdirSync(target, { recursive: true });
  }

  /** Removes whatever is at `path` (under --overwrite), without following it. */
  private clear(path: NativePath): void {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st) rmSync(path, { recursive: st.isDirectory(), force: true });
  }

  private makeDir(path: NativePath): void {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) return;
    if (st) rmSync(path, { force: true }); // a file or symlink in the way (--overwrite only: the target was empty otherwise)
    mkdirSync(path, { mode: 0o700 });
  }

  private async writeFiles(plan: RestorePlan): Promise<RestoreJobResult> {
    const total: RestoreJobResult = { bytesWritten: 0, bytesSparse: 0, warnings: [] };
    if (plan.files.length === 0) return total;
    const data: RestoreWorkerData = { connection: this.env.connection, snapshot: this.req.snapshot.id, maxChunk: this.env.maxChunk, chown: this.asRoot };
    const pool = new WorkerPool<RestoreJob, RestoreJobResult, null>(new URL('./restore-worker.js', import.meta.url), this.env.workers, data, 2);
    const pending: Array<Promise<void>> = [];
    try {
      let job: RestoreFileItem[] = [];
      let jobBytes = 0;
      const submit = async (): Promise<void> => {
        if (job.length === 0) return;
        const files = job;
        const bytes = jobBytes;
        job = [];
        jobBytes = 0;
        await pool.ready();
        pending.push(pool.submit({ files }).then((r) => {
          total.bytesWritten += r.bytesWritten;
          total.bytesSparse += r.bytesSparse;
          total.warnings.push(...r.warnings);
          this.progress.filesDone += files.length;
          this.progress.bytesDone += bytes;
        }));
      };
      for (const f of plan.files) {
        job.push(fileItem(f.path, f.entry, f.chunks));
        jobBytes += f.entry.size;
        if (jobBytes >= JOB_BYTES || job.length >= JOB_FILES) await submit();
      }
      await submit();
      await Promise.all(pending);
      await pool.finish();
    } finally {
      await pool.close();
    }
    return total;
  }

  private async makeOther(o: PlannedItem): Promise<void> {
    const e = o.entry;
    try {
      if (e.type === 'symlink') symlinkSync(e.rawTarget ? Buffer.from(e.rawTarget) : (e.target ?? ''), o.path);
      else if (e.type === 'fifo') await this.env.posix.mkfifo(o.path, 0o600);
      else if (e.type === 'chardev' || e.type === 'blockdev') {
        if (!this.asRoot) {
          this.warnings.push(`${showPath(o.path)}: device node not restored (needs root)`);
          return;
        }
        await this.env.posix.mknod(o.path, e.type, 0o600, e.rdev ?? 0);
      } else {
        this.warnings.push(`${showPath(o.path)}: socket not restored`);
        return;
      }
    } catch (err) {
      this.warn(o.path, `create ${e.type}`, err);
      return;
    }
    await this.applyMetadata(o.path, e, e.type === 'symlink');
  }

  private async applyMetadata(path: NativePath, e: TreeEntry, symlink: boolean): Promise<void> {
    try {
      if (this.asRoot) lchownSync(path, e.uid, e.gid);
      if (!symlink) chmodSync(path, e.mode);
      for (const [name, value] of e.xattrs ?? []) await this.env.posix.writeXattr(path, name, value);
      await this.env.posix.setTimes(path, e.mtimeNs, true);
    } catch (err) {
      this.warn(path, 'metadata', err);
    }
  }
}

function fileItem(path: NativePath, e: TreeEntry, chunks: Uint8Array[]): RestoreFileItem {
  const item: RestoreFileItem = {
    path, size: e.size, chunks: Buffer.concat(chunks), mode: e.mode, uid: e.uid, gid: e.gid, mtimeNs: e.mtimeNs,
  };
  if (e.xattrs) item.xattrs = e.xattrs;
  return item;
}
