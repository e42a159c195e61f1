// Buffers for the spans the objects route sends, used again once the socket has written them.
// A fresh Buffer.allocUnsafe for every span (up to 8 MiB) is memory the kernel has to fault
// in page by page, and the records' CRC-32 then runs over memory just faulted: on this
// machine reading 382 MiB of segments into fresh buffers took 704 ms and its CRCs 373 ms,
// into one reused buffer 142 and 105 ms (docs/PERFORMANCE.md, replication). A pull or a
// restore reads every byte it sends this way.
//
// Only what is handed back is reused, and the objects route hands a buffer back from the
// socket's write callback: a buffer still queued for the socket is never read into again.

/** Spans smaller than this are allocated as before: small allocations cost little. */
const MIN_POOLED = 64 * 1024;
/** Free buffers kept at most, in bytes; more are left to the garbage collector. */
const KEEP_BYTES = 32 * 1024 * 1024;
/** Free buffers are dropped after this long without a span to read (an idle appliance holds none). */
const IDLE_MS = 10_000;

export class SpanBuffers {
  private free: Buffer[] = [];
  private freeBytes = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly keepBytes = KEEP_BYTES, private readonly idleMs = IDLE_MS) {}

  /** A buffer of at least `bytes`; hand it back with give() once nothing refers to it. */
  take(bytes: number): Buffer {
    if (bytes < MIN_POOLED) return Buffer.allocUnsafe(bytes);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = (this.free[i] as Buffer).length;
      if (cap >= bytes && (best < 0 || cap < (this.free[best] as Buffer).length)) best = i;
    }
    if (best < 0) return Buffer.allocUnsafeSlow(capacityFor(bytes));
    const [buf] = this.free.splice(best, 1) as [Buffer];
    this.freeBytes -= buf.length;
    return buf;
  }

  /** Takes back a buffer from take(); one too small to pool, or past the bytes kept, is dropped. */
  give(buf: Buffer): void {
    if (buf.length < MIN_POOLED || buf.length !== buf.buffer.byteLength || this.freeBytes + buf.length > this.keepBytes) return;
    if (this.free.includes(buf)) return; // handed back twice: keep it once
    this.free.push(buf);
    this.freeBytes += buf.length;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.clear(), this.idleMs).unref();
  }

  clear(): void {
    clearTimeout(this.idle);
    this.free = [];
    this.freeBytes = 0;
  }
}

/** The next power of two: spans of many sizes then share a few buffer sizes. */
function capacityFor(bytes: number): number {
  return 2 ** Math.ceil(Math.log2(bytes));
}
