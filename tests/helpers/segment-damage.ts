// Damage on disk for verification and drill tests: the first data record in a datastore's
// segments, and one byte of a file flipped in place (what a failing disk returns).

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { RECORD_HEADER_BYTES } from '../../daemon/src/store/record-format.js';
import { listSegments, segmentPath } from '../../daemon/src/store/segment-files.js';
import { scanSegment } from '../../daemon/src/store/segment-scanner.js';

export interface FoundRecord {
  path: string;
  offset: number;
  digest: string;
  storedLength: number;
}

export async function firstDataRecord(datastore: string): Promise<FoundRecord> {
  for (const id of listSegments(datastore)) {
    const path = segmentPath(datastore, id);
    for await (const r of scanSegment(path)) {
      if (r.kind === 'record' && r.header.kind === ObjectKind.data) {
        return { path, offset: r.offset, digest: toHex(r.header.digest), storedLength: r.header.storedLength };
      }
    }
  }
  throw new Error('no data record in the segments');
}

export function flipByte(path: string, at: number): void {
  const fd = openSync(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = (b[0] as number) ^ 0x40;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

/** Flips a byte in the middle of a record's payload: its CRC and digest no longer hold. */
export function damagePayload(r: FoundRecord): void {
  flipByte(r.path, r.offset + RECORD_HEADER_BYTES + Math.floor(r.storedLength / 2));
}
