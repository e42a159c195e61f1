// Which records of the segments compaction rewrites are live, from one pass over the index
// in digest order, before the first copy. Looking each record up as it was read cost a random
// lookup in the index per record: on a 10-million-object datastore 29 CPU-s of a second run's
// compaction, against one sequential pass here. The pass sees every removal the run made
// (it comes after them); entries removed or re-pointed later only make a record copied in
// vain (the switch leaves an entry that moved alone), and nothing points a new entry into a
// sealed segment but compaction itself.

import { grown } from '../../../core/src/bytes/grown.js';
import { scanObjects } from '../store/gc-index.js';
import type { ObjectIndex } from '../store/object-index.js';

interface OffsetList {
  offsets: Uint32Array;
  n: number;
}

export class LiveOffsets {
  private readonly lists = new Map<number, OffsetList>();

  private constructor(segments: Iterable<number>) {
    for (const s of segments) this.lists.set(s, { offsets: new Uint32Array(1024), n: 0 });
  }

  /** The live offsets of `segments`, each list ascending. */
  static async of(index: ObjectIndex, segments: readonly number[]): Promise<LiveOffsets> {
    const live = new LiveOffsets(segments);
    if (segments.length > 0) await scanObjects(index, (_digest, loc) => live.note(loc.segment, loc.offset));
    for (const l of live.lists.values()) l.offsets = l.offsets.subarray(0, l.n).sort();
    return live;
  }

  private note(segment: number, offset: number): void {
    const l = this.lists.get(segment);
    if (!l) return;
    if (l.n === l.offsets.length) l.offsets = grown(l.offsets);
    l.offsets[l.n++] = offset;
  }

  /** A segment's live offsets, ascending; the list is released (each segment is taken once). */
  take(segment: number): Uint32Array {
    const l = this.lists.get(segment);
    this.lists.delete(segment);
    return l?.offsets ?? new Uint32Array(0);
  }
}
