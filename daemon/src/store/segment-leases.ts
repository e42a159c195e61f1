// Reads in flight per segment. Compaction moves a segment's live records elsewhere and then
// removes the file; a read that looked its record up before the switch may still be about to
// read the old file. Each read holds a lease on its segment from the lookup (same tick) to
// the end of the read, and the file is removed only once no lease is held.

export class SegmentLeases {
  private readonly held = new Map<number, number>();
  private readonly waiters = new Map<number, Array<() => void>>();

  /** Runs `read` holding a lease on `segment`; the lease is taken before the first await. */
  async during<T>(segment: number, read: () => Promise<T>): Promise<T> {
    this.held.set(segment, (this.held.get(segment) ?? 0) + 1);
    try {
      return await read();
    } finally {
      const left = (this.held.get(segment) ?? 1) - 1;
      if (left > 0) this.held.set(segment, left);
      else {
        this.held.delete(segment);
        for (const wake of this.waiters.get(segment) ?? []) wake();
        this.waiters.delete(segment);
      }
    }
  }

  /** Resolves once no read of `segment` is in flight. */
  idle(segment: number): Promise<void> {
    if (!this.held.has(segment)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(segment) ?? [];
      list.push(resolve);
      this.waiters.set(segment, list);
    });
  }
}
