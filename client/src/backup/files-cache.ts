// The client's files cache (LMDB): (device, inode) -> (size, mtime, ctime, chunk digests or
// list digest). A file whose lstat matches its entry is not read at all. Entries recorded
// during a backup are written only after the appliance committed the snapshot, so the cache
// never names chunks that might not be stored (a killed backup leaves it as it was, and
// the next run re-reads those files and finds their chunks through `has`).

import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { grown } from '../../../core/src/bytes/grown.js';

export interface CachedContent {
  data?: Uint8Array[];
  list?: Uint8Array;
  /** The file's xattrs (its ctime changes with them, so a hit needs no listxattr call). */
  xattrs?: Array<[string, Uint8Array]>;
}

export interface FileIdentity {
  /** (device, inode) as 16 bytes (dir-scan.ts inodeKey). */
  key: Buffer;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

// value: version, flags, size (6 bytes), mtime ns, ctime ns, digests (32 each, count below),
// then, with FLAG_XATTRS: u16 count, and per attribute u16 name length, name, u32 length, value
const VERSION = 2;
const FLAG_LIST = 1;
const FLAG_XATTRS = 2;
const HEADER = 28;
/** A key is (device, inode), 16 bytes (FileIdentity.key). */
const KEY_BYTES = 16;

function encodeValue(f: FileIdentity, c: CachedContent): Buffer {
  const digests = c.list ? [c.list] : (c.data ?? []);
  const xattrs = (c.xattrs ?? []).map(([k, v]) => [Buffer.from(k), v] as const);
  const xattrBytes = xattrs.length === 0 ? 0 : 2 + xattrs.reduce((n, [k, v]) => n + 6 + k.length + v.length, 0);
  const v = Buffer.allocUnsafe(HEADER + 32 * digests.length + xattrBytes);
  v[0] = VERSION;
  v[1] = (c.list ? FLAG_LIST : 0) | (xattrs.length > 0 ? FLAG_XATTRS : 0);
  v.writeUIntBE(f.size, 2, 6);
  v.writeBigInt64BE(f.mtimeNs, 8);
  v.writeBigInt64BE(f.ctimeNs, 16);
  v.writeUInt32BE(digests.length, 24);
  digests.forEach((d, i) => v.set(d, HEADER + 32 * i));
  let at = HEADER + 32 * digests.length;
  if (xattrs.length > 0) {
    at = v.writeUInt16BE(xattrs.length, at);
    for (const [k, value] of xattrs) {
      at = v.writeUInt16BE(k.length, at);
      v.set(k, at);
      at = v.writeUInt32BE(value.length, at + k.length);
      v.set(value, at);
      at += value.length;
    }
  }
  return v;
}

function decodeXattrs(b: Buffer, at: number): Array<[string, Uint8Array]> | null {
  if (at + 2 > b.length) return null;
  const count = b.readUInt16BE(at);
  at += 2;
  const out: Array<[string, Uint8Array]> = [];
  for (let i = 0; i < count; i++) {
    if (at + 2 > b.length) return null;
    const kl = b.readUInt16BE(at);
    if (at + 2 + kl + 4 > b.length) return null;
    const name = b.toString('utf8', at + 2, at + 2 + kl);
    const vl = b.readUInt32BE(at + 2 + kl);
    at += 6 + kl;
    if (at + vl > b.length) return null;
    out.push([name, Buffer.from(b.subarray(at, at + vl))]);
    at += vl;
  }
  return out;
}

export class FilesCache {
  private readonly pending = new Map<string, [Buffer, Buffer]>();
  /**
   * Keys this run met (hits and records), packed 16 bytes apiece: a million files hold 16 MiB,
   * not a million Buffers or strings. A set of them is made only to prune.
   */
  private seen = Buffer.allocUnsafe(KEY_BYTES * 4096);
  private seenCount = 0;
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
    // lmdb-js's fast buffer reports the value's size in .length only (byteLength is its
    // whole shared buffer), so the view is built from .length.
    const b = v ? Buffer.from(v.buffer, v.byteOffset, v.length) : null;
    if (!b || b.length < HEADER || b[0] !== VERSION || b.readUIntBE(2, 6) !== f.size || b.readBigInt64BE(8) !== f.mtimeNs || b.readBigInt64BE(16) !== f.ctimeNs) {
      this.misses++;
      return null;
    }
    const count = b.readUInt32BE(24);
    const end = HEADER + 32 * count;
    const flags = b[1] as number;
    const xattrs = flags & FLAG_XATTRS ? decodeXattrs(b, end) : [];
    if (end > b.length || xattrs === null) {
      this.misses++;
      return null;
    }
    this.hits++;
    this.noteSeen(key);
    // getBinaryFast's buffer is reused by the next read: copy what we keep, in one piece.
    const kept = Buffer.from(b.subarray(HEADER, end));
    const digests: Uint8Array[] = new Array(count);
    for (let i = 0; i < count; i++) digests[i] = kept.subarray(i * 32, i * 32 + 32);
    const content: CachedContent = flags & FLAG_LIST ? { list: digests[0] as Uint8Array } : { data: digests };
    if (xattrs.length > 0) content.xattrs = xattrs;
    return content;
  }

  /** Remembers a file's content for after the commit. */
  record(f: FileIdentity, c: CachedContent): void {
    const key = f.key;
    this.noteSeen(key);
    this.pending.set(key.toString('latin1'), [key, encodeValue(f, c)]);
  }

  /**
   * Writes what this run recorded (call after a successful commit). When the cache holds
   * far more entries than this run saw (files deleted since), the unseen ones are dropped.
   */
  async save(): Promise<void> {
    const total = this.db.getKeysCount();
    const prune = total > 2 * this.seenCount + 1000;
    // an unchanged backup has nothing to write: no transaction, no sync
    if (this.pending.size === 0 && !prune) return;
    await this.db.transaction(() => {
      for (const [key, value] of this.pending.values()) void this.db.put(key, value);
      if (prune) {
        const seen = new Set<string>();
        for (let at = 0; at < this.seenCount * KEY_BYTES; at += KEY_BYTES) seen.add(this.seen.toString('latin1', at, at + KEY_BYTES));
        for (const key of this.db.getKeys()) {
          if (!seen.has(Buffer.from(key).toString('latin1'))) void this.db.remove(key);
        }
      }
    });
    this.pending.clear();
  }

  private noteSeen(key: Buffer): void {
    if ((this.seenCount + 1) * KEY_BYTES > this.seen.length) this.seen = grown(this.seen);
    key.copy(this.seen, this.seenCount * KEY_BYTES, 0, KEY_BYTES);
    this.seenCount++;
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}
