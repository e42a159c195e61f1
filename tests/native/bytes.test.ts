import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { loadAddon } from '../../core/src/native/addon.js';
import { need } from '../helpers/prereq.js';

test('the addon\'s CRC-32 equals node:zlib\'s for every length, alignment and starting value, also on shared memory', (t) => {
  const load = loadAddon();
  if (!need(t, load.addon !== null, `native addon: ${load.reason ?? ''}`) || !load.addon) return;
  const { crc32 } = load.addon;
  const data = randomBytes(3 * 1024 * 1024 + 13);
  // Every length through the byte-table, the 16-byte and the 64-byte paths and their edges.
  for (let len = 0; len <= 300; len++) {
    for (let offset = 0; offset < 16; offset++) {
      const view = data.subarray(offset, offset + len);
      const start = (len * 2654435761 + offset) >>> 0;
      assert.equal(crc32(view), zlibCrc32(view), `len ${len} offset ${offset}`);
      assert.equal(crc32(view, start), zlibCrc32(view, start) >>> 0, `len ${len} offset ${offset} from ${start}`);
    }
  }
  assert.equal(crc32(data), zlibCrc32(data));
  // Continuing a running CRC over pieces gives the CRC of the whole.
  let running = 0;
  for (let at = 0; at < data.length; at += 65_531) running = crc32(data.subarray(at, at + 65_531), running);
  assert.equal(running, zlibCrc32(data));
  const shared = Buffer.from(new SharedArrayBuffer(data.length));
  data.copy(shared);
  assert.equal(crc32(shared.subarray(7)), zlibCrc32(data.subarray(7)));
  assert.equal(crc32(Buffer.alloc(0)), 0);
  assert.throws(() => crc32('text' as unknown as Uint8Array), TypeError);
});

test('copyBytes copies like TypedArray.prototype.set, between plain and shared memory at any alignment', (t) => {
  const load = loadAddon();
  if (!need(t, load.addon !== null, `native addon: ${load.reason ?? ''}`) || !load.addon) return;
  const { copyBytes } = load.addon;
  const source = randomBytes(70_000);
  for (const target of [Buffer.alloc(80_000), Buffer.from(new SharedArrayBuffer(80_000))]) {
    for (const [at, from, len] of [[0, 0, 70_000], [3, 5, 65_536], [79_999, 1, 1], [10, 0, 0]] as const) {
      const expected = Buffer.from(target);
      expected.set(source.subarray(from, from + len), at);
      copyBytes(target, at, source.subarray(from, from + len));
      assert.ok(target.equals(expected), `at ${at} from ${from} len ${len}`);
    }
    // From shared memory, as the segment writer copies out of an arena.
    const out = Buffer.alloc(100);
    copyBytes(out, 1, target.subarray(3, 50));
    assert.ok(out.subarray(1, 48).equals(target.subarray(3, 50)));
    assert.throws(() => copyBytes(target, 79_999, source.subarray(0, 2)), RangeError);
    assert.throws(() => copyBytes(target, -1, source.subarray(0, 2)), RangeError);
  }
});
