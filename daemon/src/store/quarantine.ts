// Objects found damaged (a verification, a restore or a drill read bytes that fail their
// digest) are put on this list until someone clears them (after a repair or a re-upload).
// It is a record of findings, kept in the index so it survives restarts; a rebuild re-verifies
// every record and indexes no damaged one, so a rebuilt index starts with an empty list.

import { toHex } from '../../../core/src/objects/digest.js';
import { writeIndex, type IndexHolder } from './index-write.js';
import type { Quarantine, QuarantinedObject } from './store-api.js';

export class IndexQuarantine implements Quarantine {
  constructor(private readonly holder: IndexHolder, private readonly now: () => number = Date.now) {}

  async mark(digest: Uint8Array, reason: string): Promise<void> {
    const index = this.holder.index;
    await writeIndex(index, () => index.quarantine.putSync(Buffer.from(digest), { reason, since: this.now() }));
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
