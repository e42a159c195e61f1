// A segment file system that fails on purpose, for the store's fault tests (after Kopia's
// blobtesting/faulty.go). It wraps the real one, so the real direct and buffered segment
// files run above it, and injects what a failing disk does: EIO on a write, read or sync;
// short writes; ENOSPC once N bytes are written; a write torn at a file offset, followed by
// a crash. Faults stay armed until lift(); a crash is for good.
//
// The crash is a process crash, not a power cut: what reached the file before it stays
// there (as after SIGKILL), every descriptor is closed as the kernel would, and afterwards
// every call fails (close() is a no-op), so nothing is cut, padded or synced on the way out.

import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { alignDown, DIRECT_BLOCK } from '../../core/src/fs/aligned-memory.js';
import { nodeSegmentFs, type SegmentFileSystem, type SegmentHandle } from '../../daemon/src/store/segment-io.js';

function fault(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected fault, ${syscall}`), { code, syscall });
}

/** The first `n` bytes of `buffers` (the opposite of core/src/fs/unwritten.ts). */
function firstBytes(buffers: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = n;
  for (const b of buffers) {
    if (left === 0) break;
    out.push(b.length <= left ? b : b.subarray(0, left));
    left -= Math.min(left, b.length);
  }
  return out;
}

export class FaultySegmentFs implements SegmentFileSystem {
  /** Write calls made (whole or short), for diagnostics and to aim faults. */
  writes = 0;
  /** Writes that moved fewer bytes than asked (short writes, or the one that filled the disk). */
  shortened = 0;
  reads = 0;
  private writesLeft: number | null = null;
  private readsLeft: number | null = null;
  private syncFails = false;
  private spaceLeft = Infinity;
  private short = false;
  private tear: { path: string; offset: number } | null = null;
  private down = false;
  /** Open descriptors, closed by a crash. */
  private readonly descriptors = new Set<SegmentHandle>();

  constructor(private readonly inner: SegmentFileSystem = nodeSegmentFs) {}

  /** After `n` more successful write calls, every write fails with EIO. */
  failWritesAfter(n: number): this {
    this.writesLeft = n;
    return this;
  }

  /** After `n` more successful read calls, every read fails with EIO. */
  failReadsAfter(n: number): this {
    this.readsLeft = n;
    return this;
  }

  /** Every fdatasync fails with EIO (what a disk that lost written-back pages reports). */
  failSyncs(): this {
    this.syncFails = true;
    return this;
  }

  /**
   * The disk fills up after `bytes` more bytes: the write that crosses the limit is short
   * (whole blocks for O_DIRECT), as the kernel's is, and the next one fails with ENOSPC.
   */
  fullAfter(bytes: number): this {
    this.spaceLeft = bytes;
    return this;
  }

  /** Every write moves at most half of what it was asked (whole blocks for O_DIRECT). */
  shortWrites(): this {
    this.short = true;
    return this;
  }

  /** The write to `path` that covers file offset `offset` stops there, and then the machine crashes. */
  tearAt(path: string, offset: number): this {
    this.tear = { path, offset };
    return this;
  }

  /** The process dies: its descriptors are closed and every later call fails. */
  async crash(): Promise<void> {
    this.down = true;
    const handles = [...this.descriptors];
    this.descriptors.clear();
    for (const h of handles) await h.close();
  }

  get crashed(): boolean {
    return this.down;
  }

  /** Clears every fault (a crash stays). */
  lift(): void {
    this.writesLeft = null;
    this.readsLeft = null;
    this.syncFails = false;
    this.spaceLeft = Infinity;
    this.short = false;
    this.tear = null;
  }

  async open(path: string, flags: number | string, mode?: number): Promise<SegmentHandle> {
    this.alive('open');
    const direct = typeof flags === 'number' && (flags & constants.O_DIRECT) !== 0;
    const inner = await this.inner.open(path, flags, mode);
    this.descriptors.add(inner);
    return new FaultyHandle(this, inner, path, direct);
  }

  /** Closes a descriptor, unless a crash already did. */
  async release(inner: SegmentHandle): Promise<void> {
    if (this.descriptors.delete(inner)) await inner.close();
  }

  alive(syscall: string): void {
    if (this.down) throw fault('ECRASHED', syscall);
  }

  /**
   * How many of `length` bytes at `position` a write may move, or 'tear' when this write is
   * the one to tear; throws the injected error.
   */
  admitWrite(path: string, direct: boolean, position: number, length: number): number | 'tear' {
    this.alive('write');
    this.writes++;
    if (this.writesLeft !== null && this.writesLeft-- <= 0) throw fault('EIO', 'write');
    if (this.tear && this.tear.path === path && position <= this.tear.offset && this.tear.offset < position + length) return 'tear';
    const whole = (n: number): number => (direct ? alignDown(n) : n);
    let n = this.short ? Math.max(direct ? DIRECT_BLOCK : 1, whole(Math.floor(length / 2))) : length;
    if (n > this.spaceLeft) n = whole(this.spaceLeft);
    if (n === 0 && length > 0) throw fault('ENOSPC', 'write');
    if (n < length) this.shortened++;
    this.spaceLeft -= n;
    return n;
  }

  /** Writes the part of a torn write before the tear (through a plain descriptor: any offset), then crashes. */
  async tornWrite(path: string, position: number, buffers: readonly Uint8Array[]): Promise<never> {
    const offset = (this.tear as { offset: number }).offset;
    const fd = openSync(path, 'r+');
    try {
      let at = position;
      for (const b of firstBytes(buffers, offset - position)) at += writeSync(fd, b, 0, b.length, at);
    } finally {
      closeSync(fd);
    }
    await this.crash();
    throw fault('ECRASHED', 'write');
  }

  admitRead(): void {
    this.alive('read');
    this.reads++;
    if (this.readsLeft !== null && this.readsLeft-- <= 0) throw fault('EIO', 'read');
  }

  admitSync(): void {
    this.alive('fdatasync');
    if (this.syncFails) throw fault('EIO', 'fdatasync');
  }
}

class FaultyHandle implements SegmentHandle {
  constructor(
    private readonly fs: FaultySegmentFs,
    private readonly inner: SegmentHandle,
    private readonly path: string,
    private readonly direct: boolean,
  ) {}

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    const n = this.fs.admitWrite(this.path, this.direct, position, length);
    if (n === 'tear') return this.fs.tornWrite(this.path, position, [buffer.subarray(offset, offset + length)]);
    return this.inner.write(buffer, offset, n, position);
  }

  async writev(buffers: Uint8Array[], position: number): Promise<{ bytesWritten: number }> {
    const length = buffers.reduce((s, b) => s + b.length, 0);
    const n = this.fs.admitWrite(this.path, this.direct, position, length);
    if (n === 'tear') return this.fs.tornWrite(this.path, position, buffers);
    return this.inner.writev(n === length ? buffers : firstBytes(buffers, n), position);
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    this.fs.admitRead();
    return this.inner.read(buffer, offset, length, position);
  }

  async truncate(length: number): Promise<void> {
    this.fs.alive('ftruncate');
    return this.inner.truncate(length);
  }

  async datasync(): Promise<void> {
    this.fs.admitSync();
    return this.inner.datasync();
  }

  close(): Promise<void> {
    return this.fs.release(this.inner);
  }
}
