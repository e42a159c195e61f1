// Compares what a drill restored with what the snapshot records: every directory, file and
// symlink (of the sample, when only a sample was restored) must exist with its type, mode,
// size and modification time, a symlink with its target, and a file's bytes must equal its
// chunks read back from the segments (ChunkStore.onDisk: the device's bytes). Owners are
// compared only when the daemon runs as root (otherwise the restore could not set them).
//
// A chunk that cannot be read back intact names its path as damaged; the drill fails with it.

import { lstat, open, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HavenError } from '../../../core/src/errors.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import type { TreeEntry } from '../../../core/src/objects/tree.js';
import type { TreeReader } from '../backup/tree-reader.js';
import type { ObjectSource } from '../store/reachability.js';

const MAX_MISMATCHES = 20;

export interface CompareResult {
  filesCompared: number;
  bytesCompared: number;
  mismatches: string[];
  damagedPaths: string[];
}

/** Every file path of a snapshot (regular files with UTF-8 names), up to `limit`. */
export async function filePaths(trees: TreeReader, root: Uint8Array, limit: number): Promise<string[]> {
  const out: string[] = [];
  const stack: Array<{ tree: Uint8Array; rel: string }> = [{ tree: root, rel: '' }];
  while (stack.length > 0 && out.length < limit) {
    const { tree, rel } = stack.pop() as { tree: Uint8Array; rel: string };
    for (const e of await trees.entries(tree)) {
      if (e.rawName) continue;
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.type === 'file') out.push(path);
      else if (e.subtree) stack.push({ tree: e.subtree, rel: path });
      if (out.length >= limit) break;
    }
  }
  return out;
}

export async function compareRestore(
  trees: TreeReader,
  onDisk: ObjectSource,
  root: Uint8Array,
  target: string,
  /** Restored file paths, or null: the whole snapshot. */
  sample: ReadonlySet<string> | null,
  signal: AbortSignal,
): Promise<CompareResult> {
  const result: CompareResult = { filesCompared: 0, bytesCompared: 0, mismatches: [], damagedPaths: [] };
  const mismatch = (path: string, what: string): void => {
    if (result.mismatches.length < MAX_MISMATCHES) result.mismatches.push(`${path}: ${what}`);
  };
  const asRoot = process.getuid?.() === 0;
  /** Directories that lead to a sampled file (a sample restores only those). */
  const wanted = (path: string, dir: boolean): boolean => {
    if (sample === null) return true;
    if (!dir) return sample.has(path);
    for (const s of sample) if (s.startsWith(`${path}/`)) return true;
    return false;
  };
  const stack: Array<{ tree: Uint8Array; rel: string }> = [{ tree: root, rel: '' }];
  while (stack.length > 0) {
    if (signal.aborted) throw signal.reason;
    const { tree, rel } = stack.pop() as { tree: Uint8Array; rel: string };
    for (const e of await trees.entries(tree)) {
      if (e.rawName) continue; // compared by name bytes only through the client; left out here
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (!wanted(path, e.type === 'dir')) continue;
      const at = join(target, path);
      let st;
      try {
        st = await lstat(at, { bigint: true });
      } catch {
        mismatch(path, 'not restored');
        // A restore that stopped at damage: find out whether this file's data is what broke it.
        if (e.type === 'file') await compareContent(trees, onDisk, e, null, path, result, mismatch);
        continue;
      }
      if (!typeMatches(e, st)) {
        mismatch(path, `restored as another type than ${e.type}`);
        continue;
      }
      if (e.type !== 'symlink' && Number(st.mode & 0o7777n) !== e.mode) mismatch(path, `mode ${(Number(st.mode) & 0o7777).toString(8)}, recorded ${e.mode.toString(8)}`);
      if (asRoot && (Number(st.uid) !== e.uid || Number(st.gid) !== e.gid)) mismatch(path, `owner ${st.uid}:${st.gid}, recorded ${e.uid}:${e.gid}`);
      if (e.type === 'dir') {
        if (e.subtree) stack.push({ tree: e.subtree, rel: path });
      } else if (e.type === 'symlink') {
        if (e.target !== undefined && (await readlink(at)) !== e.target) mismatch(path, 'symlink target differs');
      } else if (e.type === 'file') {
        if (st.mtimeNs !== e.mtimeNs) mismatch(path, `modification time ${st.mtimeNs} ns, recorded ${e.mtimeNs} ns`);
        if (Number(st.size) !== e.size) mismatch(path, `${st.size} bytes, recorded ${e.size}`);
        else await compareContent(trees, onDisk, e, at, path, result, mismatch);
        result.filesCompared++;
      }
    }
  }
  return result;
}

function typeMatches(e: TreeEntry, st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): boolean {
  if (e.type === 'file') return st.isFile();
  if (e.type === 'dir') return st.isDirectory();
  if (e.type === 'symlink') return st.isSymbolicLink();
  return true;
}

/** A file's bytes against its chunks read back from the segments (`at` null: only read the chunks back). */
async function compareContent(
  trees: TreeReader, onDisk: ObjectSource, e: TreeEntry, at: string | null, path: string, result: CompareResult, mismatch: (path: string, what: string) => void,
): Promise<void> {
  const file = at === null ? null : await open(at, 'r');
  try {
    let offset = 0;
    for await (const digest of trees.chunks(e)) {
      let chunk: Buffer;
      try {
        chunk = await onDisk.readObject(digest, ObjectKind.data);
      } catch (err) {
        if (err instanceof HavenError && (err.code === 'STORE_CORRUPT' || err.code === 'OBJECT_UNDECODABLE' || err.code === 'OBJECT_NOT_FOUND')) {
          result.damagedPaths.push(path);
          return;
        }
        throw err;
      }
      if (file === null) continue;
      const restored = Buffer.alloc(chunk.length);
      const { bytesRead } = await file.read(restored, 0, chunk.length, offset);
      if (bytesRead !== chunk.length || !restored.equals(chunk)) {
        mismatch(path, `content differs from the snapshot at byte ${offset}`);
        return;
      }
      offset += chunk.length;
      result.bytesCompared += chunk.length;
    }
  } finally {
    await file?.close();
  }
}
