// Direct (O_DIRECT) and buffered segment files must produce byte-identical segments for the
// same appends, cut-backs and reopenings; the direct one only differs while open (padding).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alignedStaging, openSegmentFile, type SegmentFile } from '../../daemon/src/store/segment-file.js';
import { tempDir } from '../helpers/tmp.js';

test('direct and buffered appends write the same bytes, across cut-backs and reopenings', async (t) => {
  const dir = tempDir(t);
  const paths = { direct: join(dir, 'direct.seg'), buffered: join(dir, 'buffered.seg') };
  const staging = alignedStaging();
  let end = 0;
  let files: Record<'direct' | 'buffered', SegmentFile> = {
    direct: await openSegmentFile(paths.direct, true, 0, staging),
    buffered: await openSegmentFile(paths.buffered, true, 0, null),
  };
  assert.equal(files.direct.direct, true, 'this file system takes O_DIRECT (the product falls back when not)');
  assert.equal(files.buffered.direct, false);
  for (let round = 0; round < 40; round++) {
    // a batch of odd-sized pieces, sometimes larger than the 16 MiB staging buffer
    const pieces = Array.from({ length: randomInt(1, 6) }, () => randomBytes(round === 7 ? 9 * 1024 * 1024 : randomInt(1, 200_000)));
    const size = pieces.reduce((n, p) => n + p.length, 0);
    for (const f of Object.values(files)) await f.append(pieces, end);
    end += size;
    if (round % 9 === 4) {
      // a failed write's cut-back: drop the tail
      end -= randomInt(1, Math.min(size, 70_000));
      for (const f of Object.values(files)) await f.truncate(end);
    }
    if (round % 13 === 6) {
      // close and reopen at the (unaligned) end, as after a restart
      for (const f of Object.values(files)) await f.close(end);
      files = { direct: await openSegmentFile(paths.direct, false, end, staging), buffered: await openSegmentFile(paths.buffered, false, end, null) };
    }
  }
  for (const f of Object.values(files)) await f.close(end);
  const direct = readFileSync(paths.direct);
  const buffered = readFileSync(paths.buffered);
  assert.equal(direct.length, end);
  assert.ok(direct.equals(buffered), 'identical segments');
});
