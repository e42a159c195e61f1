// Segments that compaction emptied. The transaction that points a segment's live records at
// their copies also records the segment in the `retired` table; the file is removed after
// that commit (and after reads of it finish), and the entry with it. A crash in between
// leaves the entry: at the next start the file is removed before recovery runs, because
// recovery would otherwise index the segment's records again (its dead ones included).

import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ObjectIndex } from './object-index.js';
import { fsyncDir } from './identity.js';
import { segmentPath } from './segment-files.js';

/** Removes a segment file (durably: the directory is synced); answers the bytes it held. */
export async function unlinkSegment(root: string, segment: number): Promise<number> {
  const path = segmentPath(root, segment);
  const size = await stat(path).then((s) => s.size, () => 0);
  await rm(path, { force: true });
  fsyncDir(dirname(path));
  return size;
}

/** Start-up: removes the files of segments retired before a crash, and their entries. */
export async function removeRetiredSegments(root: string, index: ObjectIndex): Promise<number> {
  const ids = [...index.retired.getKeys()];
  for (const id of ids) await unlinkSegment(root, id);
  if (ids.length > 0) {
    index.env.transactionSync(() => {
      for (const id of ids) {
        index.retired.removeSync(id);
        index.segments.removeSync(id);
      }
    });
    await index.env.flushed;
  }
  return ids.length;
}
