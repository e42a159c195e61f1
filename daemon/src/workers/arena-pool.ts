// Shared arenas for verification batches: allocated once, reused for the daemon's lifetime,
// visible to the main thread (which fills them from the socket and writes them to segments)
// and to the workers (which verify them) without copies or transfers. The fixed number of
// standard arenas is also the daemon-wide bound on upload bytes in flight.

export class Arena {
  readonly bytes: Buffer;
  constructor(readonly shared: SharedArrayBuffer, readonly pooled: boolean) {
    this.bytes = Buffer.from(shared);
  }
  get size(): number {
    return this.shared.byteLength;
  }
}

export class ArenaPool {
  private readonly free: Arena[] = [];
  private readonly waiters: Array<(a: Arena) => void> = [];

  constructor(readonly arenaBytes: number, count: number) {
    for (let i = 0; i < count; i++) this.free.push(new Arena(new SharedArrayBuffer(arenaBytes), true));
  }

  /** A standard arena if one is free right now, else null. */
  tryAcquire(): Arena | null {
    return this.free.pop() ?? null;
  }

  /** Waits for a standard arena. */
  acquire(): Promise<Arena> {
    const a = this.free.pop();
    if (a) return Promise.resolve(a);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** An arena for one frame larger than the standard size (rare: chunks are at most 4 MiB). */
  oversize(bytes: number): Arena {
    return new Arena(new SharedArrayBuffer(bytes), false);
  }

  release(a: Arena): void {
    if (!a.pooled) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter(a);
    else this.free.push(a);
  }
}
