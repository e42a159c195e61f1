// Backs up files the way the client does, through the typed API client: content-defined
// chunks cut with the datastore's own chunker parameters, zstd where it saves space, a `has`
// batch so only missing objects travel, trees built bottom-up, then commit. `restoresExactly`
// reads every file of a snapshot back through the API and compares bytes.
// (Until the `haven` CLI lands on main; tests switch to it then.)

import { dirname, basename } from 'node:path';
import type { ApiClient } from '../../client/src/api/api-client.js';
import { readAll } from '../../client/src/api/api-client.js';
import { createCutter, cutAll } from '../../core/src/chunker/cutter.js';
import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { buildTreeObjects, sortEntries, type TreeEntry } from '../../core/src/objects/tree.js';
import { dirEntry, fileEntry, framesOf, makeObject, type TestObject } from './objects.js';

export interface SourceFile {
  /** Relative path with `/` separators, e.g. `usr/lib/libz.so.1`. */
  path: string;
  content: Buffer;
}

export interface Pushed {
  snapshot: string;
  files: SourceFile[];
  objectsSent: number;
}

export async function pushFiles(api: ApiClient, group: string, files: SourceFile[]): Promise<Pushed> {
  const session = await api.startBackup({ group, paths: ['/'], tags: ['pool-test'] });
  const cutter = createCutter(session.chunker);
  const objects = new Map<string, TestObject>();
  const add = (o: TestObject): TestObject => {
    objects.set(toHex(o.digest), o);
    return o;
  };
  // directory path -> entries
  const dirs = new Map<string, TreeEntry[]>([['', []]]);
  const ensureDir = (d: string): TreeEntry[] => {
    let e = dirs.get(d);
    if (!e) {
      e = [];
      dirs.set(d, e);
      if (d !== '') ensureDir(parentOf(d));
    }
    return e;
  };
  for (const f of files) {
    let pos = 0;
    const chunks = cutAll(cutter, f.content).map((n) => {
      const raw = f.content.subarray(pos, (pos += n));
      return add(makeObject(ObjectKind.data, raw, true));
    });
    ensureDir(parentOf(f.path)).push(fileEntry(basename(f.path), chunks));
  }
  // children before parents: deeper paths first
  const order = [...dirs.keys()].sort((a, b) => depth(b) - depth(a));
  const treeOfDir = new Map<string, TestObject>();
  for (const d of order) {
    const entries = [...(dirs.get(d) ?? [])];
    for (const [child, tree] of treeOfDir) if (child !== d && parentOf(child) === d) entries.push(dirEntry(basename(child), tree));
    // a large directory is split into part trees: every part is an object to upload
    const parts = buildTreeObjects(sortEntries(entries)).map((raw) => add(makeObject(ObjectKind.tree, raw)));
    treeOfDir.set(d, parts[parts.length - 1] as TestObject);
  }
  const root = treeOfDir.get('') as TestObject;

  const all = [...objects.values()];
  const bitmap = await api.has(session.session, Buffer.concat(all.map((o) => o.digest)));
  const missing = all.filter((_, i) => (((bitmap[i >> 3] as number) >> (i & 7)) & 1) === 0);
  for (let i = 0; i < missing.length; i += 256) await api.uploadFrames(session.session, framesOf(missing.slice(i, i + 256)));
  const committed = await api.commit(session.session, { root: toHex(root.digest), stats: { files: files.length } });
  return { snapshot: committed.snapshot.id, files, objectsSent: missing.length };
}

/** Every file of the snapshot read back through the API (8 at a time), compared byte for byte; returns bytes read. */
export async function restoresExactly(api: ApiClient, pushed: Pushed): Promise<number> {
  let bytes = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pushed.files.length) {
      const f = pushed.files[next++] as SourceFile;
      const got = await readAll(await api.content(pushed.snapshot, `/${f.path}`));
      if (!got.equals(f.content)) throw new Error(`snapshot ${pushed.snapshot}: /${f.path} differs (${got.length} bytes, expected ${f.content.length})`);
      bytes += got.length;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (bytes !== pushed.files.reduce((n, f) => n + f.content.length, 0)) throw new Error('not every file was read back');
  return bytes;
}

function parentOf(p: string): string {
  const d = dirname(p);
  return d === '.' ? '' : d;
}

function depth(p: string): number {
  return p === '' ? 0 : p.split('/').length;
}
