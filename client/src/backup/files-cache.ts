// The client's files cache (LMDB): (device, inode) -> (size, mtime, ctime, chunk digests or
// list digest). A file whose lstat matches its entry is not read at all. Entries recorded
// during a backup are written only after the appliance committed the snapshot, so the cache
// never names chunks that might not be stored (a killed backup leaves it as it was, and
// the next run re-reads those files and finds their chunks through `has`).

import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';

export interface CachedContent {
  data?: Uint8Array[];
  list?: Uint8Array;
}

export interface FileIdentity {
  /** (device, inode) as 16 bytes (dir-scan.ts inodeKey). */
  key: Buffer;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

const VERSION = 1;
const FLAG_LIST = 1;
const HEADER = 24;

function encodeValue(f: FileIdentity, c: CachedContent): Buffer {
  const digests = c.list ? [c.list] : (c.data ?? []);
  const v = Buffer.allocUnsafe(HEADER + 32 * digests.length);
  v[0] = VERSION;
  v[1] = c.list ? FLAG_LIST : 0;
  v.writeUIntBE(f.size, 2, 6);
  v.writeBigInt64BE(f.mtimeNs, 8);
  v.writeBigInt64BE(f.ctimeNs, 16);
  digests.forEach((d, i) => v.set(d, HEADER + 32 * i));
  return v;
}

export class FilesCache {
  private readonly pending = new Map<string, [Buffer, Buffer]>();
  private readonly seen = new Set<string>();
  hits = 0;
  misses = 0;

  private constructor(private readonly env: RootDatabase, private readonly db: Database<Buffer, Buffer>) {}

  static open(dir: string): FilesCache {
    mkdirSync(dir, { recursive: true });
    const env = open({ path: dir, maxDbs: 4, noMemInit: true });
    return new FilesCache(env, env.openDB<Buffer, Buffer>({ name: 'files', keyEncoding: 'binary', encoding: 'binary' }));
  }

  /** True when the cache holds nothing (first run, or a wiped cache directory). */
  get empty(): boolean {
    return this.db.getKeysCount({ limit: 1 }) === 0;
  }

  lookup(f: FileIdentity): CachedContent | null {
    const key = f.key;
    const v = this.db.getBinaryFast(key);
    if (!v || v.length < HEADER || v[0] !== VERSION || (v.length - HEADER) % 32 !== 0) {
      this.misses++;
      return null;
    }
    // lmdb-js's fast buffer reports the value's size in .length only (byteLength is its
    // whole shared buffer), so the view is built from .length.
    const b = Buffer.from(v.buffer, v.byteOffset, v.length);
    if (b.readUIntBE(2, 6) !== f.size || b.readBigInt64BE(8) !== f.mtimeNs || b.readBigInt64BE(16) !== f.ctimeNs) {
      this.misses++;
      return null;
    }
    this.hits++;
    this.seen.add(key.toString('latin1'));
    const digests: Uint8Array[] = [];
    // getBinaryFast's buffer is reused by the next read: copy what we keep.
    for (let at = HEADER; at < b.length; at += 32) digests.push(Buffer.from(b.subarray(at, at + 32)));
    return (b[1] as number) & FLAG_LIST ? { list: digests[0] as Uint8Array } : { data: digests };
  }

  /** Remembers a file's content for after the commit. */
  record(f: FileIdentity, c: CachedContent): void {
    const key = f.key;
    const k = key.toString('latin1');
    this.seen.add(k);
    this.pending.set(k, [key, encodeValue(f, c)]);
  }

  /**
   * Writes what this run recorded (call after a successful commit). When the cache holds
   * far more entries than this run saw (files deleted since), the unseen ones are dropped.
   */
  async save(): Promise<void> {
    const total = this.db.getKeysCount();
    const prune = total > 2 * this.seen.size + 1000;
    await this.db.transaction(() => {
      for (const [key, value] of this.pending.values()) void this.db.put(key, value);
      if (prune) {
        for (const key of this.db.getKeys()) {
          if (!this.seen.has(Buffer.from(key).toString('latin1'))) void this.db.remove(key);
        }
      }
    });
    this.pending.clear();
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}
