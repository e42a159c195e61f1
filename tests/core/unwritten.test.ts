import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unwritten } from '../../core/src/fs/unwritten.js';

test('unwritten: what a short writev left, at every split point', () => {
  const buffers = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('de'), Buffer.from('fghi')];
  const all = Buffer.concat(buffers).toString();
  for (let written = 0; written <= all.length; written++) {
    const rest = unwritten(buffers, written);
    assert.equal(Buffer.concat(rest).toString(), all.slice(written), `after ${written}`);
    assert.ok(rest.every((b) => b.length > 0 || written === 0), `no spent buffer kept after ${written}`);
  }
  assert.deepEqual(unwritten(buffers, all.length), []);
});
