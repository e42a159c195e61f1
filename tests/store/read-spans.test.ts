import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSpans, type SpanItem } from '../../daemon/src/store/read-spans.js';
import type { Location } from '../../daemon/src/store/object-index.js';

function item(segment: number, offset: number, storedLength: number): SpanItem {
  const location: Location = { segment, offset, storedLength, rawLength: storedLength, kind: 1, codec: 0, complete: false };
  return { digest: Buffer.alloc(32, offset % 251), location };
}

test('read spans: storage order, neighbours in one read, no span across segments or past 8 MiB', () => {
  const a = item(1, 0, 1000);
  const b = item(1, 1056, 500); // right after a
  const c = item(1, 1056 + 556 + 200_000, 10); // a gap under 256 KiB
  const d = item(1, 5_000_000, 10); // far away
  const e = item(0, 100, 10); // an earlier segment
  const big1 = item(2, 0, 5 << 20);
  const big2 = item(2, (5 << 20) + 56, 5 << 20); // adjacent but the span would pass 8 MiB
  const spans = readSpans([d, c, big2, a, e, b, big1]);
  assert.deepEqual(spans.map((s) => s.map((i) => `${i.location.segment}:${i.location.offset}`)), [
    ['0:100'], ['1:0', '1:1056', `1:${1056 + 556 + 200_000}`], ['1:5000000'], ['2:0'], [`2:${(5 << 20) + 56}`],
  ]);
});
