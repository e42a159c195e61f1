// Objects found damaged (a verification, a restore or a drill read bytes that fail their
// digest) are put on this list until a re-upload writes them anew (the append that indexes the
// new record clears the entry: chunk-store.ts) or someone clears them. A quarantined object is
// absent to `has` (ChunkStore.isIndexed), so the next backup of the same data uploads it again.
// Kept in the index so it survives restarts; a rebuild re-verifies every record and indexes no
// damaged one, so a rebuilt index starts with an empty list.

import { toHex } from '../../../core/src/objects/digest.js';
import { clearComplete } from './gc-index.js';
import { writeIndex, type IndexHolder } from './index-write.js';
import type { Quarantine, QuarantinedObject } from './store-api.js';

export class IndexQuarantine implements Quarantine {
  constructor(private readonly holder: IndexHolder, private readonly now: () => number = Date.now) {}

  async mark(digest: Uint8Array, reason: string, above: readonly Uint8Array[] = []): Promise<void> {
    const index = this.holder.index;
    await writeIndex(index, () => {
      // Marked again (a later run finding it still damaged): `since` stays when it was first found.
      const since = index.quarantine.get(Buffer.from(digest))?.since ?? this.now();
      index.quarantine.putSync(Buffer.from(digest), { reason, since });
      // Trees flagged complete above it would let a commit skip it: they are walked again.
      clearComplete(index, above.map((d) => Buffer.from(d)));
    });
  }

  isQuarantined(digest: Uint8Array): boolean {
    return this.holder.index.quarantine.doesExist(Buffer.from(digest));
  }

  list(): QuarantinedObject[] {
    return [...this.holder.index.quarantine.getRange()].map(({ key, value }) => ({
      digest: toHex(key), reason: value.reason, since: new Date(value.since).toISOString(),
    }));
  }

  clear(digest: Uint8Array): Promise<boolean> {
    const index = this.holder.index;
    return writeIndex(index, () => index.quarantine.removeSync(Buffer.from(digest)));
  }
}
