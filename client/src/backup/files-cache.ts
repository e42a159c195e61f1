// The client's files cache (LMDB): (device, inode) -> (size, mtime, ctime, chunk digests or
// list digest). A file whose lstat matches its entry is not read at all. Entries recorded
// during a backup are written only after the appliance committed the snapshot, so the cache
// never names chunks that might not be stored (a killed backup leaves it as it was, and
// the next run re-reads those files and finds their chunks through `has`).

import { open, type Database, type RootDatabase } from 'lmdb';
import { makeDirs } from '../../../core/src/fs/make-dirs.js';
import { grown } from '../../../core/src/bytes/grown.js';
import { breakSeal, checkSeal, writeSeal } from './cache-seal.js';
import { DirRecords } from './dir-records.js';

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

function valueLength(c: CachedContent): number {
  const digests = c.list ? 1 : (c.data?.length ?? 0);
  const xattrs = c.xattrs ?? [];
  const xattrBytes = xattrs.length === 0 ? 0 : 2 + xattrs.reduce((n, [k, v]) => n + 6 + Buffer.byteLength(k) + v.length, 0);
  return HEADER + 32 * digests + xattrBytes;
}

/** Writes the value valueLength(c) counted into `v` at `at`. */
function writeValue(v: Buffer, at: number, f: FileIdentity, c: CachedContent): void {
  const digests = c.list ? [c.list] : (c.data ?? []);
  const xattrs = c.xattrs ?? [];
  v[at] = VERSION;
  v[at + 1] = (c.list ? FLAG_LIST : 0) | (xattrs.length > 0 ? FLAG_XATTRS : 0);
  v.writeUIntBE(f.size, at + 2, 6);
  v.writeBigInt64BE(f.mtimeNs, at + 8);
  v.writeBigInt64BE(f.ctimeNs, at + 16);
  v.writeUInt32BE(digests.length, at + 24);
  digests.forEach((d, i) => v.set(d, at + HEADER + 32 * i));
  at += HEADER + 32 * digests.length;
  if (xattrs.length > 0) {
    at = v.writeUInt16BE(xattrs.length, at);
    for (const [k, value] of xattrs) {
      const klen = v.write(k, at + 2, 'utf8');
      at = v.writeUInt16BE(klen, at);
      at = v.writeUInt32BE(value.length, at + klen);
      v.set(value, at);
      at += value.length;
    }
  }
}

/**
 * What a run recorded, for after the commit, packed into 1 MiB pieces: per record the key
 * (16 bytes), the value's length (u32) and the value. As a Map of keys and value Buffers the
 * records of a first backup of 63k files held ~20 MiB of the main thread's heap until the
 * end (docs/PERFORMANCE.md); packed they take ~6 MiB outside it. A key recorded twice is put
 * twice, in order, so the later record wins, as it did in the Map.
 */
class RecordLog {
  private static readonly PIECE = 1 << 20;
  private readonly pieces: Buffer[] = [];
  /** Bytes used in each piece but the last (that one's is `used`). */
  private readonly ends: number[] = [];
  private current = Buffer.alloc(0);
  private used = 0;
  count = 0;

  append(f: FileIdentity, c: CachedContent): void {
    const n = valueLength(c);
    const need = KEY_BYTES + 4 + n;
    if (this.used + need > this.current.length) {
      if (this.pieces.length > 0) this.ends.push(this.used);
      this.current = Buffer.allocUnsafeSlow(Math.max(RecordLog.PIECE, need));
      this.pieces.push(this.current);
      this.used = 0;
    }
    f.key.copy(this.current, this.used, 0, KEY_BYTES);
    this.current.writeUInt32BE(n, this.used + KEY_BYTES);
    writeValue(this.current, this.used + KEY_BYTES + 4, f, c);
    this.used += need;
    this.count++;
  }

  *records(): Generator<[Buffer, Buffer]> {
    for (const [i, piece] of this.pieces.entries()) {
      const end = this.ends[i] ?? this.used;
      for (let at = 0; at < end; ) {
        const n = piece.readUInt32BE(at + KEY_BYTES);
        yield [piece.subarray(at, at + KEY_BYTES), piece.subarray(at + KEY_BYTES + 4, at + KEY_BYTES + 4 + n)];
        at += KEY_BYTES + 4 + n;
      }
    }
  }
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
  private pending = new RecordLog();
  /**
   * Keys this run met (hits and records), packed 16 bytes apiece: a million files hold 16 MiB,
   * not a million Buffers or strings. A set of them is made only to prune.
   */
  private seen = Buffer.allocUnsafe(KEY_BYTES * 4096);
  private seenCount = 0;
  hits = 0;
  misses = 0;
  /** knowsDevice's answers by device. */
  private readonly devices = new Map<string, boolean>();

  private constructor(
    private readonly dir: string,
    /** Why the cache found in the directory was removed (damage), else null (cache-seal.ts). */
    readonly damaged: string | null,
    private readonly env: RootDatabase,
    private readonly db: Database<Buffer, Buffer>,
    /** Directories of the last backup (dir-records.ts), saved with the files. */
    readonly dirs: DirRecords,
  ) {}

  static open(dir: string): FilesCache {
    makeDirs(dir);
    const damaged = checkSeal(dir);
    const env = open({ path: dir, maxDbs: 4, noMemInit: true });
    const db = (name: string): Database<Buffer, Buffer> => env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' });
    return new FilesCache(dir, damaged, env, db('files'), new DirRecords(db('dirs')));
  }

  /** Whether the cache holds any file of this device (st_dev), asked once per device. */
  knowsDevice(devHi: number, devLo: number): boolean {
    const id = `${devHi}:${devLo}`;
    let known = this.devices.get(id);
    if (known === undefined) {
      // keys begin with the device: one range lookup finds whether any key has this prefix
      const start = Buffer.alloc(KEY_BYTES);
      start.writeUInt32BE(devHi, 0);
      start.writeUInt32BE(devLo, 4);
      const end = Buffer.alloc(KEY_BYTES, 0xff);
      end.writeUInt32BE(devHi, 0);
      end.writeUInt32BE(devLo, 4);
      known = this.db.getKeysCount({ start, end, limit: 1 }) > 0 || this.db.doesExist(end);
      this.devices.set(id, known);
    }
    return known;
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
    this.pending.append(f, c);
  }

  /**
   * Writes what this run recorded (call after a successful commit). When the cache holds
   * far more entries than this run saw (files deleted since), the unseen ones are dropped.
   */
  async save(): Promise<void> {
    const total = this.db.getKeysCount();
    const prune = total > 2 * this.seenCount + 1000;
    const pruneDirs = this.dirs.pruneDue();
    // an unchanged backup has nothing to write: no transaction, no sync
    if (this.pending.count === 0 && !prune && this.dirs.pendingCount === 0 && !pruneDirs) return;
    breakSeal(this.dir);
    await this.db.transaction(() => {
      this.dirs.write(pruneDirs);
      for (const [key, value] of this.pending.records()) void this.db.put(key, value);
      if (prune) {
        const seen = new Set<string>();
        for (let at = 0; at < this.seenCount * KEY_BYTES; at += KEY_BYTES) seen.add(this.seen.toString('latin1', at, at + KEY_BYTES));
        for (const key of this.db.getKeys()) {
          if (!seen.has(Buffer.from(key).toString('latin1'))) void this.db.remove(key);
        }
      }
    });
    this.pending = new RecordLog();
    writeSeal(this.dir);
  }

  /** A file met unchanged without a lookup (its directory's record vouched for it): its entry stays. */
  keep(key: Buffer): void {
    this.noteSeen(key);
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
