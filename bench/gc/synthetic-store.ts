// A synthetic datastore for the garbage-collection benchmark, written through the real store
// code (ChunkStore append/flush and the snapshot catalogue's commit), so havend opens it as
// one of its own and the collector walks real tree objects.
//
// Shape: a root tree over `tops` directories, each over up to DIRS_PER_TOP leaf directories of
// `filesPerDir` files with one small data chunk each. Every later snapshot rewrites half the
// files of `2 * change` of the leaf directories (so `change` of all leaves): the other leaf
// trees are shared with the previous snapshot, and what a deleted snapshot alone referenced
// becomes garbage. Objects are tiny (32-byte chunks) so that ten million fit in minutes.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mulberry32 } from '../lib/mulberry32.js';
import { emptySessionStats, type SessionInfo } from '../../core/src/api/backup.js';
import { sha256 } from '../../core/src/objects/digest.js';
import { Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { buildTreeObjects, type TreeEntry } from '../../core/src/objects/tree.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { datastoreOf } from '../../daemon/src/store/datastore.js';
import { payloadCrc } from '../../daemon/src/store/record-format.js';
import type { AppendItem } from '../../daemon/src/store/segment-writer.js';

export const DIRS_PER_TOP = 128;
const CHUNK_BYTES = 32;
const APPEND_BATCH = 8192;
/** Objects between two flushes: bounds the store's pending map. */
const FLUSH_EVERY = 262_144;
const DAY_MS = 86_400_000;
const FIRST_SNAPSHOT = Date.UTC(2026, 0, 1, 3, 0, 0);

export interface SyntheticOptions {
  /** The daemon's data directory; the datastore goes in its datastore/ (havend's default). */
  dataDir: string;
  /** Objects to write, approximately (data chunks and trees of every snapshot). */
  objects: number;
  snapshots: number;
  /** Fraction of all leaves each snapshot after the first replaces. */
  change: number;
  filesPerDir: number;
  group: string;
  /** The daemon's segment size (config datastore.segmentMaxBytes). */
  segmentMaxBytes: number;
  /** The first snapshot's time (ms since the epoch) and the time between two snapshots. */
  firstTime?: number;
  intervalMs?: number;
  progress?: (line: string) => void;
}

export interface SyntheticResult {
  objects: number;
  dataObjects: number;
  treeObjects: number;
  leaves: number;
  leafDirs: number;
  snapshots: number;
  /** Leaves and trees each later snapshot wrote. */
  leavesPerSnapshot: number;
  seconds: number;
}

/** Leaves for about `objects` objects in all: every snapshot adds change * leaves chunks and their trees. */
export function leavesFor(o: Pick<SyntheticOptions, 'objects' | 'snapshots' | 'change' | 'filesPerDir'>): number {
  const later = o.snapshots - 1;
  const perLeaf = 1 + later * o.change + (1 + later * 2 * o.change) / o.filesPerDir;
  return Math.max(o.filesPerDir, Math.round(o.objects / perLeaf / o.filesPerDir) * o.filesPerDir);
}

class Writer {
  private batch: AppendItem[] = [];
  private sinceFlush = 0;
  written = 0;
  data = 0;
  trees = 0;

  constructor(private readonly store: ChunkStore) {}

  async add(kind: ObjectKind, raw: Uint8Array): Promise<Buffer> {
    const digest = sha256(raw);
    this.batch.push({
      header: { kind, codec: Codec.none, rawLength: raw.length, storedLength: raw.length, digest },
      payloadCrc: payloadCrc(raw),
      payload: raw,
    });
    if (kind === ObjectKind.tree) this.trees++;
    else this.data++;
    if (this.batch.length >= APPEND_BATCH) await this.drain();
    return digest;
  }

  /** Encodes a directory listing as the client does (split into parts past the limits). */
  async tree(entries: TreeEntry[]): Promise<Buffer> {
    const objects = buildTreeObjects(entries);
    let last: Buffer = Buffer.alloc(0);
    for (const o of objects) last = await this.add(ObjectKind.tree, o);
    return last;
  }

  private async drain(): Promise<void> {
    const items = this.batch;
    this.batch = [];
    await this.store.append(items);
    this.written += items.length;
    this.sinceFlush += items.length;
    if (this.sinceFlush >= FLUSH_EVERY) {
      await this.store.flush();
      this.sinceFlush = 0;
    }
  }

  async flush(): Promise<void> {
    await this.drain();
    await this.store.flush();
    this.sinceFlush = 0;
  }
}

const pad = (n: number, width: number): string => n.toString().padStart(width, '0');

export async function buildSyntheticDatastore(o: SyntheticOptions): Promise<SyntheticResult> {
  const started = process.hrtime.bigint();
  const say = o.progress ?? (() => undefined);
  const store = await ChunkStore.open(join(o.dataDir, 'datastore'), { create: true, segmentMaxBytes: o.segmentMaxBytes });
  try {
    const ds = datastoreOf(store);
    const w = new Writer(store);
    const F = o.filesPerDir;
    const leaves = leavesFor(o);
    const leafDirs = leaves / F;
    const tops = Math.ceil(leafDirs / DIRS_PER_TOP);
    const nameWidth = String(F - 1).length;
    const dirWidth = String(DIRS_PER_TOP - 1).length;
    const topWidth = String(tops - 1).length;
    const rand = mulberry32(leaves ^ o.snapshots); // the same datastore shape for the same options
    // Chunk content: a per-datastore nonce and a counter, so every chunk is distinct.
    const nonce = randomBytes(16);
    let chunkCounter = 0n;
    const leafDigest = Buffer.alloc(leaves * 32);
    const leafGeneration = new Uint16Array(leaves);
    const dirTree = Buffer.alloc(leafDirs * 32);
    const topTree = Buffer.alloc(tops * 32);

    const newChunk = async (leaf: number, generation: number): Promise<void> => {
      const raw = Buffer.alloc(CHUNK_BYTES);
      nonce.copy(raw, 0);
      raw.writeBigUInt64BE(chunkCounter++, 16);
      (await w.add(ObjectKind.data, raw)).copy(leafDigest, leaf * 32);
      leafGeneration[leaf] = generation;
    };
    const fileEntry = (leaf: number, i: number): TreeEntry => {
      const mtimeNs = BigInt(FIRST_SNAPSHOT + (leafGeneration[leaf] as number) * DAY_MS) * 1_000_000n;
      return {
        name: `f${pad(i, nameWidth)}`, type: 'file', mode: 0o644, uid: 1000, gid: 1000, mtimeNs, ctimeNs: mtimeNs,
        size: CHUNK_BYTES, data: [leafDigest.subarray(leaf * 32, leaf * 32 + 32)],
      };
    };
    const dirEntry = (name: string, subtree: Buffer): TreeEntry => ({
      name, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: 1n, ctimeNs: 1n, size: 0, subtree,
    });
    const writeLeafDir = async (dir: number): Promise<void> => {
      const entries: TreeEntry[] = [];
      for (let i = 0; i < F; i++) entries.push(fileEntry(dir * F + i, i));
      (await w.tree(entries)).copy(dirTree, dir * 32);
    };
    const writeTop = async (top: number): Promise<void> => {
      const entries: TreeEntry[] = [];
      for (let d = top * DIRS_PER_TOP; d < Math.min(leafDirs, (top + 1) * DIRS_PER_TOP); d++) {
        entries.push(dirEntry(`d${pad(d - top * DIRS_PER_TOP, dirWidth)}`, dirTree.subarray(d * 32, d * 32 + 32)));
      }
      (await w.tree(entries)).copy(topTree, top * 32);
    };
    const writeRoot = async (): Promise<Buffer> => {
      const entries: TreeEntry[] = [];
      for (let t = 0; t < tops; t++) entries.push(dirEntry(`t${pad(t, topWidth)}`, topTree.subarray(t * 32, t * 32 + 32)));
      return w.tree(entries);
    };

    const first = o.firstTime ?? FIRST_SNAPSHOT;
    const interval = o.intervalMs ?? DAY_MS;
    const ids: string[] = [];
    let parent: Buffer | undefined;
    const commit = async (s: number, root: Buffer): Promise<void> => {
      await w.flush();
      const time = first + s * interval;
      const iso = new Date(time).toISOString();
      const session: SessionInfo = {
        id: `synthetic-${s}`, group: o.group, host: 'synthetic', paths: ['/data'], tags: [], state: 'open',
        started: iso, updated: iso, stats: emptySessionStats(),
      };
      const summary = await ds.catalog.commit(
        { group: o.group, time, host: 'synthetic', paths: ['/data'], tags: [], root, session: session.id, ...(parent ? { parent } : {}), stats: { files: leaves } },
        { session, completeTrees: [], walkedAt: store.removalGeneration },
      );
      ids.push(summary.id);
      parent = Buffer.from(summary.id, 'hex');
    };

    for (let leaf = 0; leaf < leaves; leaf++) {
      await newChunk(leaf, 0);
      if ((leaf + 1) % F === 0) await writeLeafDir((leaf + 1) / F - 1);
    }
    for (let t = 0; t < tops; t++) await writeTop(t);
    await commit(0, await writeRoot());
    say(`snapshot 1/${o.snapshots}: ${w.written} objects`);

    const changedDirs = Math.max(1, Math.round(2 * o.change * leafDirs));
    for (let s = 1; s < o.snapshots; s++) {
      const dirs = new Set<number>();
      while (dirs.size < Math.min(changedDirs, leafDirs)) dirs.add(Math.floor(rand() * leafDirs));
      const touchedTops = new Set<number>();
      for (const dir of [...dirs].sort((a, b) => a - b)) {
        // half of the directory's files, a different half each time
        for (let i = 0; i < F; i++) if (rand() < 0.5) await newChunk(dir * F + i, s);
        await writeLeafDir(dir);
        touchedTops.add(Math.floor(dir / DIRS_PER_TOP));
      }
      for (const t of touchedTops) await writeTop(t);
      await commit(s, await writeRoot());
      if ((s + 1) % (o.snapshots > 1000 ? 1000 : 10) === 0) say(`snapshot ${s + 1}/${o.snapshots}: ${w.written} objects, ${Number(process.hrtime.bigint() - started) / 1e9} s`);
    }
    return {
      objects: w.written + ids.length, dataObjects: w.data, treeObjects: w.trees, leaves, leafDirs, snapshots: ids.length,
      leavesPerSnapshot: Math.round(changedDirs * F / 2), seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    await store.close();
  }
}
