// A restore, end to end: plan from the snapshot's trees, create directories, hand files to
// the writer threads in jobs (content, then each file's metadata), create hard links,
// symlinks, fifos and device nodes, and finally the directories' own metadata, deepest
// first (creating entries inside a directory changes its mtime).
//
// Nothing outside the target is created, changed or followed, whatever the snapshot says
// (docs/ARCHITECTURE.md, "What a restore guarantees"): names are validated by the tree
// decoder, a split directory is one namespace (so every path is planned once), every file
// system call goes through restore-target.ts (relative to a descriptor of the target, no
// link followed in any component, metadata on the entry itself), and --overwrite never
// removes a directory this run restored.

import { lstatSync, readdirSync } from 'node:fs';
import { makeDirs } from '../../../core/src/fs/make-dirs.js';
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
import { WalkBudget, type WalkLimits } from '../remote/walk-budget.js';
import { WorkerPool } from '../workers/worker-pool.js';
import type { RestoreFileItem, RestoreJob, RestoreJobResult, RestoreWorkerData } from './restore-messages.js';
import { plannedFiles, plannedPath, planRestore, type PlannedItem, type RestorePlan } from './restore-plan.js';
import { openRestoreTarget, relKey, type RestoreTarget } from './restore-target.js';

export interface RestoreRequest {
  snapshot: SnapshotSummary;
  target: string;
  includes: string[];
  overwrite: boolean;
  /** What the snapshot may make this restore plan (defaults: walk-budget.ts). */
  limits?: WalkLimits;
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

  private pathOf(item: PlannedItem): NativePath {
    return plannedPath(this.req.target, item.rel);
  }

  private warn(path: NativePath, what: string, err: unknown): void {
    this.warnings.push(`${showPath(path)}: ${what}: ${(err as Error).message}`);
  }

  async run(): Promise<RestoreOutcome> {
    this.prepareTarget();
    const fetcher = new ObjectFetcher(this.env.api, this.req.snapshot.id);
    // Trees kept as bytes: the files are read from them again when they are written (restore-plan.ts).
    const trees = new TreeSource(fetcher, new WalkBudget(this.req.limits), { decodeOnUse: true });
    const plan = await planRestore(trees, fromHex(this.req.snapshot.root), this.req.includes);
    this.progress.files = plan.files;
    this.progress.bytes = plan.bytes;
    const target = openRestoreTarget(this.req.target, this.env.posix);
    try {
      const restoredDirs = new Set<string>();
      for (const d of plan.dirs) this.makeDir(target, d, restoredDirs);
      if (this.req.overwrite) for (const item of [...plan.links, ...plan.others]) this.clear(target, item, restoredDirs);
      const written = await this.writeFiles(trees, plan, target, restoredDirs);
      for (const l of plan.links) {
        try {
          target.hardlink(l.rel, l.to);
        } catch (err) {
          this.warn(this.pathOf(l), 'hard link', err);
        }
      }
      for (const o of plan.others) await this.makeOther(target, o);
      // Deepest first: a directory's mtime is final only once nothing more is created in it.
      for (const d of [...plan.dirs].reverse()) await this.applyMetadata(target, d);
      return {
        files: plan.files, dirs: plan.dirs.length, links: plan.links.length, others: plan.others.length, bytes: plan.bytes,
        bytesWritten: written.bytesWritten, bytesSparse: written.bytesSparse, warnings: [...this.warnings, ...written.warnings],
      };
    } finally {
      target.close();
    }
  }

  /** A target that cannot be listed or made (no permission, a read-only or pseudo file system) is TARGET_UNUSABLE. */
  private prepareTarget(): void {
    const { target, overwrite } = this.req;
    try {
      const st = lstatSync(target, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) throw new HavenError('TARGET_NOT_EMPTY', { path: target });
      if (st && !overwrite && readdirSync(target).length > 0) throw new HavenError('TARGET_NOT_EMPTY', { path: target });
      makeDirs(target);
    } catch (err) {
      if (err instanceof HavenError) throw err;
      throw new HavenError('TARGET_UNUSABLE', { path: target, detail: (err as Error).message });
    }
  }

  /**
   * Under --overwrite, removes whatever is in the way of an entry (never following it).
   * A directory this run restored is never removed: no legitimate plan names a path twice.
   */
  private clear(target: RestoreTarget, item: PlannedItem, restoredDirs: ReadonlySet<string>): void {
    if (restoredDirs.has(relKey(item.rel))) {
      throw new HavenError('RESTORE_UNSAFE', { path: showPath(this.pathOf(item)), detail: 'the snapshot names a directory restored in this run again' });
    }
    if (target.typeAt(item.rel) !== null) target.remove(item.rel);
  }

  private makeDir(target: RestoreTarget, d: PlannedItem, restoredDirs: Set<string>): void {
    const k = relKey(d.rel);
    if (restoredDirs.has(k)) throw new HavenError('RESTORE_UNSAFE', { path: showPath(this.pathOf(d)), detail: 'the snapshot names this directory twice' });
    const found = target.typeAt(d.rel);
    if (found !== 'dir') {
      // A file or symlink in the way (--overwrite only: the target was empty otherwise) is removed, not followed.
      if (found !== null) target.remove(d.rel);
      target.makeDir(d.rel);
    }
    restoredDirs.add(k);
  }

  /** Under --overwrite, each file's path is cleared just before the file goes into a job. */
  private async writeFiles(trees: TreeSource, plan: RestorePlan, target: RestoreTarget, restoredDirs: ReadonlySet<string>): Promise<RestoreJobResult> {
    const total: RestoreJobResult = { bytesWritten: 0, bytesSparse: 0, warnings: [] };
    if (plan.files === 0) return total;
    const data: RestoreWorkerData = {
      connection: this.env.connection, snapshot: this.req.snapshot.id, maxChunk: this.env.maxChunk, chown: this.asRoot, target: target.handle,
    };
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
      for await (const f of plannedFiles(trees, plan)) {
        if (this.req.overwrite) this.clear(target, f, restoredDirs);
        job.push(fileItem(f, this.pathOf(f), f.chunks));
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

  private async makeOther(target: RestoreTarget, o: PlannedItem): Promise<void> {
    const e = o.entry;
    try {
      if (e.type === 'symlink') target.symlink(o.rel, e.rawTarget ? Buffer.from(e.rawTarget) : (e.target ?? ''));
      else if (e.type === 'fifo') await target.fifo(o.rel);
      else if (e.type === 'chardev' || e.type === 'blockdev') {
        if (!this.asRoot) {
          this.warnings.push(`${showPath(this.pathOf(o))}: device node not restored (needs root)`);
          return;
        }
        await target.device(o.rel, e.type, e.rdev ?? 0);
      } else {
        this.warnings.push(`${showPath(this.pathOf(o))}: socket not restored`);
        return;
      }
    } catch (err) {
      this.warn(this.pathOf(o), `create ${e.type}`, err);
      return;
    }
    await this.applyMetadata(target, o);
  }

  private async applyMetadata(target: RestoreTarget, item: PlannedItem): Promise<void> {
    try {
      await target.applyMetadata(item.rel, item.entry, this.asRoot);
    } catch (err) {
      this.warn(this.pathOf(item), 'metadata', err);
    }
  }
}

function fileItem(f: PlannedItem, path: NativePath, chunks: Uint8Array[]): RestoreFileItem {
  const e: TreeEntry = f.entry;
  const item: RestoreFileItem = {
    path, rel: f.rel, size: e.size, chunks: Buffer.concat(chunks), mode: e.mode, uid: e.uid, gid: e.gid, mtimeNs: e.mtimeNs,
  };
  if (e.xattrs) item.xattrs = e.xattrs;
  return item;
}
