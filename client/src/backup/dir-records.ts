// Directory records, beside the files cache in its LMDB environment: for each directory of
// the last backup, the digest of its listing (ScannedDir.state: names and every stat field
// its entries are made of), its own tree, and its subdirectories' trees in order. A
// directory whose listing and subdirectory trees are the same again has the same tree: its
// files' entries, cache lookups, tree encoding and hashing are skipped. Their contents are
// what the files cache would have given them (a file's stat is its cache key), and their
// xattrs and a symlink's target change its ctime.
//
// A record is written, like the files cache's, only after the appliance committed the
// snapshot that holds the tree; only for a directory whose every entry was backed up as
// listed (none vanished, none skipped, no file read at another size than listed). The key
// covers the excludes, the path on disk and the path in the snapshot. A tree named by a
// record that the appliance no longer has fails the commit with MISSING_OBJECTS, and the
// backup walks again without the cache, as for the files cache's chunks.

import { createHash } from 'node:crypto';
import type { Database } from 'lmdb';
import type { NativePath } from '../../../core/src/native/addon.js';

export interface DirRecord {
  listing: Buffer;
  tree: Buffer;
  /** The subdirectories' trees in the tree's order, 32 bytes each (a subdirectory skipped: zeros). */
  subtrees: Buffer;
}

const DIGEST = 32;

/** What besides the directory decides its tree: the excludes (a record made under others never matches). */
export function dirScope(excludes: readonly string[]): Buffer {
  return createHash('sha256').update(`haven dir records v1\0${JSON.stringify(excludes)}`).digest();
}

/** Whether `subtrees` are, in order, the trees a record holds (compared in place: nothing hashed or copied). */
export function sameSubtrees(recorded: Buffer, subtrees: ReadonlyArray<Uint8Array | undefined>): boolean {
  if (recorded.length !== subtrees.length * DIGEST) return false;
  for (let i = 0; i < subtrees.length; i++) {
    const t = subtrees[i];
    if (!t || recorded.compare(t, 0, DIGEST, i * DIGEST, (i + 1) * DIGEST) !== 0) return false;
  }
  return true;
}

/** A record's subtrees field (only made for a directory whose every subdirectory has its tree). */
export function subtreesField(subtrees: ReadonlyArray<Uint8Array | undefined>): Buffer {
  return Buffer.concat(subtrees.map((t) => t ?? new Uint8Array(DIGEST)));
}

export class DirRecords {
  private pending = new Map<string, Buffer>();
  private readonly seen = new Set<string>();

  constructor(private readonly db: Database<Buffer, Buffer>) {}

  key(scope: Buffer, fsPath: NativePath, stored: string): Buffer {
    return createHash('sha256').update(scope).update(fsPath).update('\0').update(stored).digest();
  }

  lookup(key: Buffer): DirRecord | null {
    const v = this.db.getBinaryFast(key);
    // getBinaryFast's buffer is reused by the next read, and reports its size in .length only
    if (!v || v.length < 2 * DIGEST || v.length % DIGEST !== 0) return null;
    const kept = Buffer.from(v.subarray(0, v.length));
    return { listing: kept.subarray(0, DIGEST), tree: kept.subarray(DIGEST, 2 * DIGEST), subtrees: kept.subarray(2 * DIGEST) };
  }

  /** The directory was met unchanged: its record stays. */
  keep(key: Buffer): void {
    this.seen.add(key.toString('latin1'));
  }

  record(key: Buffer, r: DirRecord): void {
    const k = key.toString('latin1');
    this.seen.add(k);
    this.pending.set(k, Buffer.concat([r.listing, r.tree, r.subtrees]));
  }

  /** Records of this run wait to be written. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Whether the records this run did not meet far outnumber those it met (a count of the database: ask once a save). */
  pruneDue(): boolean {
    return this.db.getKeysCount() > 2 * this.seen.size + 1000;
  }

  /** Inside the files cache's write transaction: this run's records, and with `prune` the unseen dropped. */
  write(prune: boolean): void {
    for (const [k, v] of this.pending) void this.db.put(Buffer.from(k, 'latin1'), v);
    if (prune) {
      for (const key of this.db.getKeys()) {
        if (!this.seen.has(Buffer.from(key).toString('latin1'))) void this.db.remove(key);
      }
    }
    this.pending = new Map();
  }
}
