// Test objects as the chunk store's append items (what ingest hands it after verification).

import { payloadCrc } from '../../daemon/src/store/record-format.js';
import type { AppendItem } from '../../daemon/src/store/segment-writer.js';
import type { TestObject } from './objects.js';

export function appendItem(o: TestObject): AppendItem {
  const header = { kind: o.kind, codec: o.codec, rawLength: o.raw.length, storedLength: o.stored.length, digest: o.digest };
  return { header, payloadCrc: payloadCrc(o.stored), payload: o.stored };
}
