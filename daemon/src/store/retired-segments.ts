// Segments that compaction emptied. The transaction that points a segment's live records at
// their copies also records the segment in the `retired` table; the file is removed after
// that commit (and after reads of it finish), and the entry with it. A crash in between
// leaves the entry: at the next start the file is removed before recovery runs, because
// recovery would otherwise index the segment's records again (its dead ones included).

import { open, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ObjectIndex } from './object-index.js';
import { segmentPath } from './segment-files.js';

/**
 * Removes segment files durably (each directory synced once, off the event loop: the entries
 * that say a file is retired may go only after the removal survives a crash); answers the
 * bytes they held.
 */
export async function unlinkSegments(root: string, segments: readonly number[]): Promise<number> {
  let freed = 0;
  const dirs = new Set<string>();
  for (const segment of segments) {
    const path = segmentPath(root, segment);
    freed += await stat(path).then((s) => s.size, () => 0);
    await rm(path, { force: true });
    dirs.add(dirname(path));
  }
  for (const dir of dirs) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return freed;
}

/** Start-up: removes the files of segments retired before a crash, and their entries. */
export async function removeRetiredSegments(root: string, index: ObjectIndex): Promise<number> {
  const ids = [...index.retired.getKeys()];
  await unlinkSegments(root, ids);
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
