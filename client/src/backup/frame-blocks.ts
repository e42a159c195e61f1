// Frames packed into a few blocks that are written and then used again, instead of a fresh
// buffer per frame left to the collector.
//
// A first backup writes ~0.5 GiB of frames per run; as fresh buffers they were the garbage
// that made each content worker force a full collection every 32 MiB, and every fresh page a
// page fault. Blocks are written to the request as they fill (and at the end of each put, so
// nothing waits on the client), and a block is used again once the socket's write callback
// says the kernel has its bytes. The number of blocks on their way out is bounded: that is the
// stream's backpressure.

import { FRAME_HEADER_BYTES, writeFrameHeader, type ObjectHeader } from '../../../core/src/objects/frame.js';

/** Where blocks go: http.ClientRequest's write, whose callback runs once the bytes are handed to the kernel. */
export interface BlockSink {
  write(chunk: Uint8Array, done: (err?: Error | null) => void): boolean;
}

export class FrameBlocks {
  private readonly free: Buffer[] = [];
  private current: Buffer | null = null;
  private used = 0;
  private outgoing = 0;
  private waiting: (() => void) | null = null;

  /**
   * `blockBytes`: a frame larger than this goes out in a buffer of its own. `maxOutgoing`:
   * blocks written and not yet acknowledged by the socket beyond which roomy() waits.
   */
  constructor(private readonly blockBytes: number, private readonly maxOutgoing: number) {}

  /** Copies one frame (header and payload) into the current block; `payload` may be reused once this returns. */
  append(sink: BlockSink, header: ObjectHeader, payload: Uint8Array): void {
    const n = FRAME_HEADER_BYTES + payload.length;
    if (n > this.blockBytes) {
      this.seal(sink);
      const own = Buffer.allocUnsafe(n);
      writeFrameHeader(own, 0, header);
      own.set(payload, FRAME_HEADER_BYTES);
      this.outgoing++;
      sink.write(own, () => this.acknowledged(null));
      return;
    }
    if (this.current && this.used + n > this.current.length) this.seal(sink);
    if (!this.current) {
      this.current = this.free.pop() ?? Buffer.allocUnsafeSlow(this.blockBytes);
      this.used = 0;
    }
    writeFrameHeader(this.current, this.used, header);
    this.current.set(payload, this.used + FRAME_HEADER_BYTES);
    this.used += n;
  }

  /** Writes what the current block holds, if anything. */
  seal(sink: BlockSink): void {
    const block = this.current;
    if (!block || this.used === 0) return;
    this.current = null;
    this.outgoing++;
    sink.write(block.subarray(0, this.used), () => this.acknowledged(block));
  }

  /** Null when there is room; else resolves once fewer than maxOutgoing blocks are on their way out (one sender waits at a time). */
  roomy(): Promise<void> | null {
    if (this.outgoing < this.maxOutgoing) return null;
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private acknowledged(block: Buffer | null): void {
    this.outgoing--;
    if (block) this.free.push(block);
    if (this.waiting && this.outgoing < this.maxOutgoing) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve();
    }
  }
}
