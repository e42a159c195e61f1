// Gathers files for the content workers into jobs of a useful size: many small files per
// job (one `has` round trip for all of them), a large file alone. A job goes out when it is
// full, or once the walker's current burst has run (setImmediate), so a directory waiting
// for its last files never waits for a job that will not fill.
//
// It also bounds how far the walk runs ahead of the workers: every file in flight (its entry
// made, its content not yet answered) keeps its entry, its pending promises and its job
// alive on the main thread. A file counts from the moment the walk decides to read it
// (`hold`, synchronously, before its xattrs are read), not from its `add`: counted at `add`,
// a directory's whole listing passed the check before the first of its files was counted,
// and every wake-up let every waiting directory do so, so at a million files the walk held
// ~650k entries (1.2 GB of the main thread's heap, docs/PERFORMANCE.md). Those that wait
// for room are served in the tree's pre-order, and only as many are woken as there is
// room, so the walk goes depth first and finishes a subtree (dropping its entries) before
// it starts the next. The workers never wait for the walk, so the room always comes. The
// bound counts files, not bytes: a file costs the main thread the same whatever its size,
// and a bound on bytes stopped the walk behind one large file, leaving the other workers idle.

import type { FileJob, FileJobItem, FileResult } from './content-messages.js';
import type { ContentPool } from './content-pool.js';
import { PreorderQueue, type Place } from './preorder-queue.js';

const JOB_BYTES = 8 << 20;
const JOB_FILES = 512;
/** Enough queued work to keep every worker busy, little enough to hold in memory. */
export const AHEAD_FILES = 4096;

export class FileBatcher {
  private items: FileJobItem[] = [];
  private waiters: Array<{ resolve: (r: FileResult) => void; reject: (e: unknown) => void }> = [];
  private bytes = 0;
  private scheduled = false;
  private nextId = 1;
  /** Files held: decided to be read, not yet answered. */
  private aheadFiles = 0;
  /** Waiters woken and not yet resumed: the room they were woken for is theirs. */
  private woken = 0;
  private readonly roomWaiters = new PreorderQueue<{ place: Place; go: () => void }>();
  /** The most files held at once (tests read it: the bound holds). */
  peakAhead = 0;

  private readonly limit: number;

  constructor(private readonly pool: ContentPool, limit = AHEAD_FILES) {
    // at least one file, or the walk would wait for room that never comes
    this.limit = Math.max(1, limit);
  }

  /** Counts a file the walk will read (call before anything awaits): it holds room until answered. */
  hold(): void {
    this.aheadFiles++;
    if (this.aheadFiles > this.peakAhead) this.peakAhead = this.aheadFiles;
  }

  /** Queues a held file for a worker. */
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

  /**
   * Null when there is room for another file; else resolves when the waiter at `place` (in
   * the tree's pre-order; `index` appended when given) may look again. Callers loop until
   * null: the room a waiter was woken for can be taken by an earlier one before it runs.
   */
  room(place: Place, index?: number): Promise<void> | null {
    if (this.hasRoom()) return null;
    const at = index === undefined ? place : [...place, index];
    return new Promise<void>((go) => this.roomWaiters.push({ place: at, go })).then(() => {
      this.woken--;
    });
  }

  private hasRoom(): boolean {
    return this.aheadFiles + this.woken < this.limit;
  }

  private wake(): void {
    while (this.roomWaiters.size > 0 && this.hasRoom()) {
      this.woken++;
      (this.roomWaiters.pop() as { go: () => void }).go();
    }
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
      this.wake();
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
