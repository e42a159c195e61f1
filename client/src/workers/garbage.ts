// Memory held by garbage, not by data (the client's peak RSS on a first backup of the 1.5 GiB
// benchmark was 655 MiB, 2026-12-06; docs/PERFORMANCE.md "Client round two").
//
// A content worker's JavaScript heap stays a few MiB while it allocates hundreds of MiB of
// read windows and compressed chunks outside it: V8 schedules collections by heap growth,
// so dead buffers piled up to ~150 MiB per worker before a collection freed them, and the
// allocator kept those pages. Collecting when the buffers outgrow a bound keeps the peak
// near what is alive; on a heap this small a full collection costs about a millisecond.
//
// The main thread's heap is the opposite case: its live data (entries, trees, the files
// cache) is some tens of MiB, and V8 let it grow to four times that (~190 MiB) between
// collections. A smaller growth factor keeps its concurrent collector and bounds the rest.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null = null;

/** Collects garbage when the thread's buffers exceed `bound` bytes; true if it did. */
export function collectIfBuffersExceed(bound: number): boolean {
  if (process.memoryUsage().arrayBuffers <= bound) return false;
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
  return true;
}

/**
 * Lets every heap of the process grow by a quarter of its live size between full collections
 * (V8's default: up to 4x). A quarter against a half: the main thread's peak heap ~10 MiB
 * lower for three more full collections per first backup (docs/PERFORMANCE.md).
 */
export function growHeapsModestly(): void {
  setFlagsFromString('--heap-growing-percent=25');
}
