// Builds real objects and frames for tests: data chunks (optionally zstd), trees, lists.

import { randomBytes } from 'node:crypto';
import { Zstd } from '../../core/src/compress/zstd.js';
import { sha256 } from '../../core/src/objects/digest.js';
import { encodeFrameHeader } from '../../core/src/objects/frame.js';
import { Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { buildTreeObjects, sortEntries, type TreeEntry } from '../../core/src/objects/tree.js';

const zstd = new Zstd();

export interface TestObject {
  kind: ObjectKind;
  raw: Buffer;
  digest: Buffer;
  codec: Codec;
  stored: Buffer;
}

export function makeObject(kind: ObjectKind, raw: Uint8Array, compress = false): TestObject {
  const buf = Buffer.from(raw);
  const stored = compress ? zstd.compress(buf, 1) : buf;
  return { kind, raw: buf, digest: sha256(buf), codec: compress ? Codec.zstd : Codec.none, stored };
}

export function frameOf(o: TestObject): Buffer[] {
  return [encodeFrameHeader({ kind: o.kind, codec: o.codec, rawLength: o.raw.length, storedLength: o.stored.length, digest: o.digest }), o.stored];
}

export async function* framesOf(objects: TestObject[]): AsyncGenerator<Buffer> {
  for (const o of objects) yield* frameOf(o);
}

/** Compressible but not trivially so: random words. */
export function textLike(bytes: number, seed = 0): Buffer {
  const words = ['haven', 'backup', 'chunk', 'segment', 'restore', 'btrfs', 'disk', 'appliance', String(seed)];
  const parts: string[] = [];
  let n = 0;
  const r = randomBytes(Math.ceil(bytes / 4));
  let i = 0;
  while (n < bytes) {
    const w = words[(r[i++ % r.length] as number) % words.length] as string;
    parts.push(w);
    n += w.length + 1;
  }
  return Buffer.from(parts.join(' ')).subarray(0, bytes);
}

export function fileEntry(name: string, chunks: TestObject[]): TreeEntry {
  return {
    name, type: 'file', mode: 0o644, uid: 1000, gid: 1000, mtimeNs: 1_700_000_000_123_456_789n, ctimeNs: 1_700_000_000_123_456_789n,
    size: chunks.reduce((n, c) => n + c.raw.length, 0), data: chunks.map((c) => c.digest),
  };
}

export function dirEntry(name: string, tree: TestObject): TreeEntry {
  return { name, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: 1n, ctimeNs: 1n, size: 0, subtree: tree.digest };
}

/** A tree object (single, not split) over the given entries. */
export function treeOf(entries: TreeEntry[]): TestObject {
  const objs = buildTreeObjects(sortEntries(entries));
  return makeObject(ObjectKind.tree, objs[objs.length - 1] as Uint8Array);
}

/** A small backup: `files` files of random chunks in one directory under the root. */
export function sampleBackup(files: number, chunkBytes: number, compressible = false): { objects: TestObject[]; root: TestObject; data: TestObject[] } {
  const data: TestObject[] = [];
  const entries: TreeEntry[] = [];
  for (let i = 0; i < files; i++) {
    const c = compressible ? makeObject(ObjectKind.data, textLike(chunkBytes, i), true) : makeObject(ObjectKind.data, randomBytes(chunkBytes));
    data.push(c);
    entries.push(fileEntry(`file-${i}`, [c]));
  }
  const sub = treeOf(entries);
  const root = treeOf([dirEntry('dir', sub)]);
  return { objects: [...data, sub, root], root, data };
}
