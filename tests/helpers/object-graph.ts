// A snapshot's objects held in memory, built with the real encoders: every digest is the
// SHA-256 of the real encoding, exactly as a malicious client's upload (or a malicious
// havend) would store it. The client's digest checks all pass, so only its decoders and its
// restore logic stand between such a snapshot and the file system.

import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { encodeList } from '../../core/src/objects/list.js';
import { encodeTree, sortEntries, type EntryType, type TreeEntry } from '../../core/src/objects/tree.js';
import { makeObject, type TestObject } from './objects.js';

/** Objects by hex digest. */
export type ObjectSet = Map<string, TestObject>;

export interface ObjectGraph {
  /** Digest of the root tree. */
  root: Buffer;
  objects: ObjectSet;
}

/** One recognisable time (ns) for every entry. */
export const ENTRY_TIME_NS = 1_700_000_000_123_456_789n;

/** An entry with plain metadata (root-owned, 0755 directories, 0644 otherwise); `fields` override. */
export function entry(name: string, type: EntryType, fields: Partial<TreeEntry> = {}): TreeEntry {
  return {
    name, type, mode: type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtimeNs: ENTRY_TIME_NS, ctimeNs: ENTRY_TIME_NS, size: 0, ...fields,
  };
}

export class GraphBuilder {
  readonly objects: ObjectSet = new Map();

  /** Stores an object, zstd-compressed as the client uploads it; returns its digest. */
  add(kind: ObjectKind, raw: Uint8Array): Buffer {
    const o = makeObject(kind, raw, true);
    this.objects.set(toHex(o.digest), o);
    return o.digest;
  }

  data(content: string | Buffer): Buffer {
    return this.add(ObjectKind.data, Buffer.from(content));
  }

  list(level: number, items: Uint8Array[]): Buffer {
    return this.add(ObjectKind.list, encodeList({ level, items }));
  }

  /** A directory as one tree object (entries sorted here). */
  tree(entries: TreeEntry[]): Buffer {
    return this.add(ObjectKind.tree, encodeTree({ entries: sortEntries(entries) }));
  }

  /** A directory stored as parts, in the order given; each part is sorted, so each is valid on its own. */
  splitTree(parts: TreeEntry[][]): Buffer {
    return this.add(ObjectKind.tree, encodeTree({ parts: parts.map((p) => this.tree(p)) }));
  }

  /** A file whose content is one chunk. */
  file(name: string, content: string | Buffer, fields: Partial<TreeEntry> = {}): TreeEntry {
    const bytes = Buffer.from(content);
    return entry(name, 'file', { size: bytes.length, ...(bytes.length > 0 ? { data: [this.data(bytes)] } : {}), ...fields });
  }

  /** A directory and its tree. */
  dir(name: string, entries: TreeEntry[], fields: Partial<TreeEntry> = {}): TreeEntry {
    return entry(name, 'dir', { subtree: this.tree(entries), ...fields });
  }

  graph(root: Buffer): ObjectGraph {
    return { root, objects: this.objects };
  }
}
