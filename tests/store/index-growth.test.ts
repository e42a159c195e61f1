// The index file against its records: LMDB reuses the pages a commit frees only from the
// commit after next, and each flush indexes a few thousand random keys, rewriting most leaf
// pages. With every flush one transaction the file held ~2.6 copies of its tree; the segment's
// indexed length is now committed in a small transaction of its own right after, so the next
// flush reuses what the last one freed. Flushes as a first backup makes them (a few thousand
// new objects each), then the file is compared with LMDB's compacted copy of itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../core/src/objects/digest.js';
import { Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { ChunkStore } from '../../daemon/src/store/chunk-store.js';
import { payloadCrc } from '../../daemon/src/store/record-format.js';
import { tempDir } from '../helpers/tmp.js';

const FLUSHES = 24;
const PER_FLUSH = 2800;

test('flushes of thousands of random keys leave the index file under twice its compacted size', async (t) => {
  const root = join(tempDir(t), 'ds');
  const store = await ChunkStore.open(root, { create: true, segmentMaxBytes: 256 << 20 });
  for (let f = 0; f < FLUSHES; f++) {
    const items = [];
    for (let i = 0; i < PER_FLUSH; i++) {
      const raw = createHash('sha256').update(`object ${f} ${i}`).digest();
      items.push({ header: { kind: ObjectKind.data, codec: Codec.none, rawLength: raw.length, storedLength: raw.length, digest: sha256(raw) }, payloadCrc: payloadCrc(raw), payload: raw });
    }
    await store.append(items);
    await store.flush();
  }
  const compacted = join(tempDir(t), 'compacted');
  mkdirSync(compacted);
  await store.index.env.backup(compacted, true);
  await store.close();
  const file = statSync(join(root, 'index', 'data.mdb')).size;
  const tight = statSync(join(compacted, 'data.mdb')).size;
  console.log(`index file ${(file / 2 ** 20).toFixed(2)} MiB, compacted ${(tight / 2 ** 20).toFixed(2)} MiB, ${(file / tight).toFixed(2)}x (${FLUSHES * PER_FLUSH} objects)`);
  assert.ok(file < 2 * tight, `the index file is ${(file / tight).toFixed(2)}x its compacted size`);
});
