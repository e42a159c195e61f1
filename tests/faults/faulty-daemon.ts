// What the read-fault tests share: the faulty havend entry point, a rules file steering it,
// and where a daemon's segments lie.

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { listSegments, segmentPath } from '../../daemon/src/store/segment-files.js';
import { tempDir } from '../helpers/tmp.js';
import { hitsPathOf, type ReadFaultRule } from './segment-read-faults.js';

/** havend with its segment reads going through SegmentReadFaults (startDaemon's `entry`). */
export const FAULTY_HAVEND = fileURLToPath(new URL('./havend-faulty.js', import.meta.url));

/** Small segments, so that one backup spans several and a fault can hit one snapshot's data alone. */
export const SMALL_SEGMENTS: NodeJS.ProcessEnv = { HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(1 << 20), HAVEND_DATASTORE_DIRECT_IO: 'false' };

export interface SegmentFaults {
  /** The daemon's environment: names the rules file. */
  env: NodeJS.ProcessEnv;
  set(rules: ReadFaultRule[]): void;
  clear(): void;
  /** Faults injected since the rules were last set. */
  hits(): number;
}

export function segmentFaults(t: TestContext): SegmentFaults {
  const path = join(tempDir(t, 'haven-faults-'), 'rules.json');
  writeFileSync(path, '');
  const hits = hitsPathOf(path);
  return {
    env: { HAVEN_TEST_SEGMENT_FAULTS: path },
    set: (rules) => {
      writeFileSync(hits, '{}');
      writeFileSync(path, JSON.stringify(rules));
    },
    clear: () => writeFileSync(path, ''),
    hits: () => (existsSync(hits) ? Object.values(JSON.parse(readFileSync(hits, 'utf8') || '{}') as Record<string, number>).reduce((a, b) => a + b, 0) : 0),
  };
}

/** The segments of a daemon's datastore (<dataDir>/datastore) and their sizes, ascending. */
export function segmentsOf(dataDir: string): Array<{ id: number; bytes: number }> {
  const root = join(dataDir, 'datastore');
  return listSegments(root).map((id) => ({ id, bytes: statSync(segmentPath(root, id)).size }));
}

/** Rules making every read of `segments` fail (or come back short), for good or `times` reads. */
export function wholeSegments(segments: readonly number[], kind: ReadFaultRule['kind'], times?: number): ReadFaultRule[] {
  return segments.map((segment) => ({ segment, from: 0, to: Number.MAX_SAFE_INTEGER, kind, ...(times === undefined ? {} : { times }) }));
}
