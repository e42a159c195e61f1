// Read windows used again instead of left to the collector.
//
// A content worker reads every byte of a backup into windows of 8 MiB or more. Fresh ones
// cost twice: each new page is a page fault (on this machine writing fresh memory costs ~8x
// writing memory already touched, docs/PERFORMANCE.md), and the dead ones piled up until the
// worker forced a full collection, dozens of times per backup. A window can be used again
// once no chunk cut from it is pending any more: the worker retires a window when it stops
// cutting from it, and a flush (which takes every pending chunk and resolves once the
// uploader holds none of their bytes) frees the windows retired before it began.

export class WindowRecycler {
  private free: Buffer[] = [];
  private retired: Buffer[] = [];
  /** Bytes of every window made and not dropped: in use, retired or free. */
  ownedBytes = 0;

  constructor(readonly size: number, private readonly keep: number) {}

  take(): Buffer {
    const w = this.free.pop();
    if (w) return w;
    this.ownedBytes += this.size;
    return Buffer.allocUnsafeSlow(this.size);
  }

  get hasRetired(): boolean {
    return this.retired.length > 0;
  }

  /** No chunk will be cut from `w` any more; the ones cut are pending. */
  retire(w: Buffer): void {
    this.retired.push(w);
  }

  /**
   * Called as a flush begins: the windows retired so far have all their chunks in that
   * flush. The returned function frees them, to be called once the flush has completed.
   */
  beginFlush(): () => void {
    const done = this.retired;
    this.retired = [];
    return () => {
      for (const w of done) {
        if (this.free.length < this.keep) this.free.push(w);
        else this.ownedBytes -= this.size;
      }
    };
  }
}
