// The compression probe against the real zstd: chunks that are compressed already (random
// bytes, a zstd frame) are refused, text and mixed chunks whose compressible part any sample
// reaches are accepted, and small chunks are always compressed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Zstd } from '../../core/src/compress/zstd.js';
import { CompressionProbe } from '../../client/src/backup/compression-probe.js';

const zstd = new Zstd();
const probe = new CompressionProbe(zstd, 1 / 32);

/** Text-like bytes: hex digests, one per line, as compressible as source code (about 2x). */
function text(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0, len = 0; len < n; i++) {
    const line = `${i} ${createHash('sha256').update(String(i)).digest('hex')}\n`;
    lines.push(line);
    len += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, n);
}

test('random and already compressed chunks are stored as they are', () => {
  for (const n of [64 << 10, 1 << 20, (4 << 20) - 17]) {
    assert.equal(probe.worthCompressing(randomBytes(n)), false, `random ${n}`);
    assert.equal(probe.worthCompressing(zstd.compress(text(n * 3), 3).subarray(0, n)), false, `zstd frame ${n}`);
  }
});

test('text, zeros and a chunk half text half random are compressed', () => {
  for (const n of [64 << 10, 1 << 20, (4 << 20) - 17]) {
    assert.equal(probe.worthCompressing(text(n)), true, `text ${n}`);
    assert.equal(probe.worthCompressing(Buffer.alloc(n)), true, `zeros ${n}`);
    const mixed = Buffer.concat([randomBytes(n >> 1), text(n - (n >> 1))]);
    assert.equal(probe.worthCompressing(mixed), true, `mixed ${n}`);
    // the probe's verdict matches what compressing the whole chunk gives
    assert.ok(zstd.compress(mixed, 4).length <= mixed.length * (1 - 1 / 32));
  }
});

test('chunks below the probe size are always compressed (the uploader keeps the result only if it saves)', () => {
  assert.equal(probe.worthCompressing(randomBytes((64 << 10) - 1)), true);
  assert.equal(probe.worthCompressing(randomBytes(64)), true);
});

test('compressInScratch: the first call, a larger input after a smaller one, and the view replaced by the next call', () => {
  const z = new Zstd(); // a fresh context: its scratch buffer is made by the first call
  const small = text(1000);
  const first = Buffer.from(z.compressInScratch(small, 4));
  assert.ok(first.length > 0 && first.length < small.length);
  assert.deepEqual(z.decompress(first, small.length), small);
  const large = Buffer.concat([text(3 << 20), randomBytes(1 << 20)]); // beyond the first scratch buffer
  const view = z.compressInScratch(large, 4);
  assert.deepEqual(z.decompress(Buffer.from(view), large.length), large);
  const again = z.compressInScratch(small, 4);
  assert.deepEqual(Buffer.from(again), first, 'the same bytes compress the same');
});
