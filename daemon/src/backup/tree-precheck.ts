// Checks a session's trees while the upload is still running, so the commit does not have
// to. A commit must prove that everything under the root is present (commit.ts); walking
// 4,500 new trees and 68,000 references at the end of an initial backup took 0.7 s of the
// daemon's main thread, with the client waiting. Clients upload a directory's tree after its
// files' chunks and its subdirectories' trees, so by the time a tree arrives its references
// are usually there already: each tree is walked as it is appended (skipping subtrees found
// complete before), and the commit's walk stops at trees found complete here.
//
// A tree whose references have not all arrived yet (they travel on other streams) is simply
// not recorded: the commit walks it, as it walks everything this check has not vouched for.
// A tree that does not decode is left to the commit too, which refuses it with the real error.
// Trees found complete are pinned in the session (a collector marks from pins as from
// snapshot roots), so what a check vouched for stays until the commit. Should a collector
// remove index entries anyway (an object it had condemned), what was found before no longer
// counts: the check forgets it and the commit walks those trees itself.

import { digestKey } from '../../../core/src/objects/digest.js';
import { walkReachable, type ObjectSource, type WalkedTree } from '../store/reachability.js';

const SLICE_MS = 4;

export class TreePrecheck {
  /** Trees (latin1 digest keys) whose every descendant was found present, with their heights. */
  private readonly complete = new Map<string, number>();
  private queue: Uint8Array[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;
  /** The store's removal generation the map above was built under. */
  private generation: number;

  constructor(
    private readonly store: ObjectSource,
    private readonly pins: Set<string>,
    private readonly removals: () => number,
    /** Quarantined objects: a tree reaching one is not vouched for (the commit refuses it). */
    private readonly isDamaged: (digest: Uint8Array) => boolean = () => false,
  ) {
    this.generation = removals();
  }

  /** Forgets what was found complete if a collector removed entries since. */
  private current(): Map<string, number> {
    const now = this.removals();
    if (now !== this.generation) {
      this.complete.clear();
      this.generation = now;
    }
    return this.complete;
  }

  /** A tree was appended (or found already stored) in this session. */
  add(digest: Uint8Array): void {
    if (this.stopped) return;
    this.queue.push(Uint8Array.from(digest));
    this.running ??= this.drain();
  }

  /** The height of a tree the commit may take as complete without walking it; undefined: walk it. */
  heightOf(k: string): number | undefined {
    return this.current().get(k);
  }

  /**
   * Stops checking (what is still queued is left to the commit's walk) and returns the trees
   * found complete, for the commit to flag.
   */
  async stop(): Promise<WalkedTree[]> {
    this.stopped = true;
    this.queue = [];
    await this.running;
    return [...this.current()].map(([k, height]) => ({ digest: Buffer.from(k, 'latin1'), height }));
  }

  /** Checks again after a commit that was refused (the client uploads more and retries). */
  resume(): void {
    this.stopped = false;
  }

  private async drain(): Promise<void> {
    // Slices of a few milliseconds: upload streams keep being read in between.
    while (this.queue.length > 0 && !this.stopped) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const until = performance.now() + SLICE_MS;
      while (this.queue.length > 0 && !this.stopped && performance.now() < until) await this.check(this.queue.shift() as Uint8Array);
    }
    this.running = null;
  }

  private async check(tree: Uint8Array): Promise<void> {
    const generation = this.removals();
    let walk;
    try {
      walk = await walkReachable(this.store, tree, { missingLimit: 1, completeHeight: (k) => this.current().get(k), isDamaged: this.isDamaged });
    } catch {
      return;
    }
    // Found present before a removal: not proof any more.
    if (walk.missing.length > 0 || walk.damaged.length > 0 || this.removals() !== generation) return;
    const complete = this.current();
    for (const t of walk.trees) {
      const k = digestKey(t.digest);
      complete.set(k, t.height);
      this.pins.add(k);
    }
  }
}
