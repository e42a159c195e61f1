// What any collector that keeps the present formats must do at least, measured on a datastore
// with no daemon running: one pass over the object index (the collector makes two per run),
// and reading and decoding every tree once (the mark cannot learn the references otherwise).
// Single-threaded, like the collector's main thread.

import { join } from 'node:path';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { decodeTree } from '../../core/src/objects/tree.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { decodeLocation } from '../../daemon/src/store/object-index.js';

export interface MarkFloor {
  objects: number;
  scanSeconds: number;
  scanCpuSeconds: number;
  trees: number;
  entries: number;
  treeSeconds: number;
  treeCpuSeconds: number;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function measureMarkFloor(dataDir: string, segmentMaxBytes: number): Promise<MarkFloor> {
  const store = await ChunkStore.open(join(dataDir, 'datastore'), { create: false, segmentMaxBytes });
  try {
    let t0 = performance.now();
    let c0 = cpuNow();
    let objects = 0;
    const trees: Buffer[] = [];
    for (const { key, value } of store.index.objects.getRange()) {
      objects++;
      if (decodeLocation(value).kind === ObjectKind.tree) trees.push(Buffer.from(key));
    }
    const scanSeconds = (performance.now() - t0) / 1000;
    const scanCpuSeconds = cpuNow() - c0;
    t0 = performance.now();
    c0 = cpuNow();
    let entries = 0;
    for (const d of trees) {
      const tree = decodeTree(await store.readObject(d, ObjectKind.tree));
      entries += 'parts' in tree ? tree.parts.length : tree.entries.length;
    }
    return {
      objects, scanSeconds, scanCpuSeconds, trees: trees.length, entries,
      treeSeconds: (performance.now() - t0) / 1000, treeCpuSeconds: cpuNow() - c0,
    };
  } finally {
    await store.close();
  }
}
