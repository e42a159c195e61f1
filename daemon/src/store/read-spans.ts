// Groups requested objects into spans for reading: sorted by segment and offset, records
// close together in one segment read at once. A restore asks for thousands of small
// records that were written side by side; one read each cost a thread-pool round trip
// apiece and dominated the appliance's CPU during restores.

import type { Location } from './object-index.js';
import { RECORD_HEADER_BYTES } from './record-format.js';

export interface SpanItem {
  digest: Uint8Array;
  location: Location;
}

/** Records this close to the previous one join its span (the gap is read and dropped). */
const MAX_GAP = 256 * 1024;
const MAX_SPAN = 8 * 1024 * 1024;

export function readSpans<T extends SpanItem>(items: readonly T[]): T[][] {
  const sorted = items.slice().sort((a, b) => a.location.segment - b.location.segment || a.location.offset - b.location.offset);
  const spans: T[][] = [];
  let current: T[] = [];
  let start = 0;
  let end = 0;
  for (const item of sorted) {
    const { segment, offset, storedLength } = item.location;
    const recordEnd = offset + RECORD_HEADER_BYTES + storedLength;
    const first = current[0];
    if (first && first.location.segment === segment && offset - end <= MAX_GAP && recordEnd - start <= MAX_SPAN) {
      current.push(item);
      end = Math.max(end, recordEnd);
      continue;
    }
    if (current.length > 0) spans.push(current);
    current = [item];
    start = offset;
    end = recordEnd;
  }
  if (current.length > 0) spans.push(current);
  return spans;
}

/** The bytes one read of `span` covers (its first record's start to its last record's end). */
export function spanBytes(span: readonly SpanItem[]): number {
  const first = span[0];
  if (!first) return 0;
  let end = first.location.offset;
  for (const { location } of span) end = Math.max(end, location.offset + RECORD_HEADER_BYTES + location.storedLength);
  return end - first.location.offset;
}
