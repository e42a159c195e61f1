// The trees and lists appended lately, kept in memory as stored (usually compressed).
// Segments are appended with O_DIRECT, so nothing just written is in the page cache: without
// this, a commit's walk reads every new tree of the session back from the device, one after
// the other (an initial backup of 4,500 directories spent 1.2-1.7 s of its commit there).
// Objects are content-addressed and immutable, so a copy never goes stale; whether an object
// exists is still the index's answer (ChunkStore consults this only after locating it), so
// an object garbage-collected since is never served from here.

import type { RecordHeader } from './record-format.js';

export interface RecentObject {
  header: RecordHeader;
  stored: Buffer;
}

export class RecentObjects {
  private readonly objects = new Map<string, RecentObject>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Keeps a copy of `stored` (callers' buffers are reused); the oldest go first when full. */
  add(key: string, header: RecordHeader, stored: Uint8Array): void {
    if (stored.length > this.maxBytes / 16 || this.objects.has(key)) return;
    this.objects.set(key, { header, stored: Buffer.from(stored) });
    this.bytes += stored.length;
    for (const [oldest, o] of this.objects) {
      if (this.bytes <= this.maxBytes) break;
      this.objects.delete(oldest);
      this.bytes -= o.stored.length;
    }
  }

  /** The object, moved to the young end (a tree read often is read again). */
  get(key: string): RecentObject | undefined {
    const o = this.objects.get(key);
    if (o) {
      this.objects.delete(key);
      this.objects.set(key, o);
    }
    return o;
  }

  clear(): void {
    this.objects.clear();
    this.bytes = 0;
  }

  get size(): { objects: number; bytes: number } {
    return { objects: this.objects.size, bytes: this.bytes };
  }
}
