// Gathers files for the content workers into jobs of a useful size: many small files per
// job (one `has` round trip for all of them), a large file alone. A job goes out when it is
// full, or once the walker's current burst has run (setImmediate), so a directory waiting
// for its last files never waits for a job that will not fill.

import type { FileJob, FileJobItem, FileResult } from './content-messages.js';
import type { ContentPool } from './content-pool.js';

const JOB_BYTES = 8 << 20;
const JOB_FILES = 512;

export class FileBatcher {
  private items: FileJobItem[] = [];
  private waiters: Array<{ resolve: (r: FileResult) => void; reject: (e: unknown) => void }> = [];
  private bytes = 0;
  private scheduled = false;
  private nextId = 1;

  constructor(private readonly pool: ContentPool) {}

  add(item: FileJobItem): Promise<FileResult> {
    const p = new Promise<FileResult>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.items.push(item);
    this.bytes += item.size;
    if (this.bytes >= JOB_BYTES || this.items.length >= JOB_FILES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return p;
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
    this.pool.submit(job).then(
      (results) => results.forEach((r, i) => waiters[i]?.resolve(r)),
      (err: unknown) => waiters.forEach((w) => w.reject(err)),
    );
  }
}
