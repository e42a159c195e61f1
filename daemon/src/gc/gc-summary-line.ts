// A GC run in one line: its task's result, which the tasks page, the UI's GC card and
// `havend gc --wait` show as they are.

import type { GcSummary } from '../../../core/src/api/gc.js';
import { size } from '../../../core/src/text/size.js';

export function gcSummaryLine(s: GcSummary): string {
  const reclaimed = s.deferred !== null
    ? `reclaimed nothing (${s.deferred})`
    : `reclaimed ${s.reclaimedObjects} object(s) (${size(s.reclaimedBytes)})`;
  const revived = s.revived > 0 ? `, ${s.revived} revived` : '';
  const c = s.compaction;
  const compacted = c.segments > 0
    ? `compacted ${c.segments} segment(s), ${size(c.bytesFreed)} freed${c.segmentsLeft > 0 ? ` (${c.segmentsLeft} left for the next run)` : ''}`
    : 'no segment compacted';
  return `marked ${s.marked} object(s) from ${s.roots} root(s); ${reclaimed}${revived}; condemned ${s.condemnedObjects} (${size(s.condemnedBytes)}); ${compacted}; `
    + `stored ${size(s.storedBytesBefore)} -> ${size(s.storedBytesAfter)}; ${(s.durationMs / 1000).toFixed(1)} s`;
}
