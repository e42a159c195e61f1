// Verifies the datastore while the daemon serves it (the disk swap's last check): every
// object reachable from every snapshot is read from the segments (never from the store's
// memory of recent trees) through the live store, which checks each
// record's header and CRC, decompresses it and compares its SHA-256 with its digest. It is
// `store check`'s reachability half on the open index: what it proves is exactly that every
// snapshot restores bit-exact. Records no snapshot reaches are not read (GC's business).

import { toHex } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import type { ChunkStore } from './chunk-store.js';
import { walkReachable } from './reachability.js';

export interface LiveVerifyReport {
  snapshots: number;
  /** Distinct objects read and verified. */
  records: number;
  bytes: number;
  problems: string[];
}

export async function verifyLiveStore(
  store: ChunkStore,
  signal: AbortSignal,
  onProgress: (fraction: number, message: string) => void,
): Promise<LiveVerifyReport> {
  const snapshots = [...store.index.snapshots.getRange()].map(({ key, value }) => ({ id: toHex(key), group: value.group, root: value.root }));
  const report: LiveVerifyReport = { snapshots: snapshots.length, records: 0, bytes: 0, problems: [] };
  const seen = new Set<string>();
  for (const [i, s] of snapshots.entries()) {
    if (signal.aborted) throw signal.reason;
    const data: Uint8Array[] = [];
    try {
      // Trees and lists are read (and verified) by the walk itself; data chunks are collected.
      const walk = await walkReachable(store.onDisk, Buffer.from(s.root, 'hex'), {
        ignoreComplete: true,
        visit: (d, kind) => {
          const hex = toHex(d);
          if (seen.has(hex)) return;
          seen.add(hex);
          report.records++;
          if (kind === ObjectKind.data) data.push(d);
        },
      });
      for (const m of walk.missing) report.problems.push(`snapshot ${s.id} (${s.group}): object ${toHex(m)} is missing`);
    } catch (err) {
      report.problems.push(`snapshot ${s.id} (${s.group}): ${(err as Error).message}`);
    }
    for (const d of data) {
      if (signal.aborted) throw signal.reason;
      try {
        report.bytes += (await store.onDisk.readObject(d, ObjectKind.data)).length;
      } catch (err) {
        if (report.problems.length < 100) report.problems.push(`snapshot ${s.id} (${s.group}): ${(err as Error).message}`);
      }
    }
    onProgress((i + 1) / snapshots.length, `verified ${i + 1} of ${snapshots.length} snapshot(s), ${(report.bytes / 1e6).toFixed(0)} MB of data`);
  }
  return report;
}
