// The state directory's free-space guard (issue 17). A commit that fails for lack of space is
// not something LMDB (as bound by lmdb-js 3.x) gets over within the process: the writer
// thread's failed transaction leaves the environment's flush promise unsettled, so a later
// close never finishes (Node exits 13), and closing it anyway aborted inside the native code
// ("corrupted size vs. prev_size"). The daemon's own state writes are few and small (a task's
// progress, an alert, a token's last use), so they are refused before LMDB sees them once
// free space falls below a reserve: the write fails with STATE_FULL, LMDB never holds a failed
// commit, and the daemon keeps serving and stops cleanly. The reserve is room for commits that
// passed the check while something else filled the file system; what still fails there is
// handled by the state database's close (state-db.ts).

import { statfsSync } from 'node:fs';
import { HavenError } from '../../../core/src/errors.js';

const MiB = 1024 * 1024;

/** Reserve: a tenth of the file system, at least 1 MiB, at most 64 MiB (a system disk's share). */
export function stateReserveBytes(fsBytes: number): number {
  return Math.min(64 * MiB, Math.max(MiB, Math.floor(fsBytes / 10)));
}

export interface StateSpace {
  /** Throws STATE_FULL when the state file system has less than the reserve free. */
  assertRoom(): void;
}

/**
 * Reads free space with statfs at every write outside a transaction (microseconds; the state
 * writes are few): a cached reading would let the writes of the moment the disk filled reach
 * LMDB. Space given back is seen at the next write.
 */
export function stateSpace(path: string): StateSpace {
  return {
    assertRoom() {
      const fs = statfsSync(path);
      const free = fs.bavail * fs.bsize;
      const reserve = stateReserveBytes(fs.blocks * fs.bsize);
      if (free < reserve) throw new HavenError('STATE_FULL', { free, reserve });
    },
  };
}
