// Gathers files for the content workers into jobs of a useful size: many small files per
// job (one `has` round trip for all of them), a large file alone. A job goes out when it is
// full, or once the walker's current burst has run (setImmediate), so a directory waiting
// for its last files never waits for a job that will not fill.
//
// It also bounds how far the walk runs ahead of the workers: every file handed out and not
// yet answered keeps its entry, its pending promises and its job alive on the main thread
// (unbounded, the walk of the 1.5 GiB benchmark held ~200 MiB of them while the workers
// were still on the first few thousand files). The walk asks for room before it scans a
// directory; the workers never wait for the walk, so the room always comes. The bound counts
// files, not bytes: a file costs the main thread the same whatever its size, and a bound on
// bytes stopped the walk behind one large file, leaving the other workers idle.

import type { FileJob, FileJobItem, FileResult } from './content-messages.js';
import type { ContentPool } from './content-pool.js';

const JOB_BYTES = 8 << 20;
const JOB_FILES = 512;
/** Enough queued work to keep every worker busy, little enough to hold in memory. */
const AHEAD_FILES = 4096;

export class FileBatcher {
  private items: FileJobItem[] = [];
  private waiters: Array<{ resolve: (r: FileResult) => void; reject: (e: unknown) => void }> = [];
  private bytes = 0;
  private scheduled = false;
  private nextId = 1;
  private aheadFiles = 0;
  private roomWaiters: Array<() => void> = [];

  constructor(private readonly pool: ContentPool) {}

  add(item: FileJobItem): Promise<FileResult> {
    const p = new Promise<FileResult>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.items.push(item);
    this.bytes += item.size;
    this.aheadFiles++;
    if (this.bytes >= JOB_BYTES || this.items.length >= JOB_FILES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return p;
  }

  /** Resolves once the files handed out and not yet answered are few enough to add more. */
  room(): Promise<void> | null {
    if (this.hasRoom()) return null;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private hasRoom(): boolean {
    return this.aheadFiles < AHEAD_FILES;
  }

  flush(): void {
    this.scheduled = false;
    if (this.items.length === 0) return;
    const items = this.items;
    const waiters = this.waiters;
    this.items = [];
    this.waiters = [];
    this.bytes = 0;
    const job: FileJob = { id: this.nextId++, files: items };
    const done = (): void => {
      this.aheadFiles -= items.length;
      // one waiter at a time: each scans a directory and may fill the room again
      while (this.roomWaiters.length > 0 && this.hasRoom()) (this.roomWaiters.shift() as () => void)();
    };
    this.pool.submit(job).then(
      (results) => {
        done();
        results.forEach((r, i) => waiters[i]?.resolve(r));
      },
      (err: unknown) => {
        done();
        waiters.forEach((w) => w.reject(err));
      },
    );
  }
}
