import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MsgpackError, decode, encode } from '../../core/src/objects/msgpack.js';

// Byte-exact encodings (the MessagePack spec's shortest forms): object digests hash these
// bytes, so every fast path must produce exactly them, for numbers and bigints alike.
const INTEGERS: Array<[bigint, string]> = [
  [0n, '00'], [127n, '7f'], [128n, 'cc80'], [255n, 'ccff'], [256n, 'cd0100'], [65535n, 'cdffff'],
  [65536n, 'ce00010000'], [4294967295n, 'ceffffffff'], [4294967296n, 'cf0000000100000000'],
  [-1n, 'ff'], [-32n, 'e0'], [-33n, 'd0df'], [-128n, 'd080'], [-129n, 'd1ff7f'], [-32768n, 'd18000'],
  [-32769n, 'd2ffff7fff'], [-2147483648n, 'd280000000'], [-2147483649n, 'd3ffffffff7fffffff'],
  [1_700_000_000_123_456_789n, 'cf17979cfe3d85cd15'],
];

test('integers encode to their shortest form, identically as number and bigint', () => {
  for (const [v, hex] of INTEGERS) {
    assert.equal(Buffer.from(encode(v)).toString('hex'), hex, `${v} as bigint`);
    if (Number.isSafeInteger(Number(v))) assert.equal(Buffer.from(encode(Number(v))).toString('hex'), hex, `${v} as number`);
  }
});

test('strings: ASCII and UTF-8 of every length class; maps keep key order and omit undefined', () => {
  assert.equal(Buffer.from(encode('a')).toString('hex'), 'a161');
  assert.equal(Buffer.from(encode('é')).toString('hex'), 'a2c3a9');
  assert.equal(Buffer.from(encode('x'.repeat(31))).toString('hex'), `bf${'78'.repeat(31)}`);
  assert.equal(Buffer.from(encode('x'.repeat(32))).toString('hex'), `d920${'78'.repeat(32)}`);
  assert.equal(Buffer.from(encode('é'.repeat(16))).toString('hex'), `d920${'c3a9'.repeat(16)}`);
  assert.equal(Buffer.from(encode('x'.repeat(256))).toString('hex').slice(0, 6), 'da0100');
  assert.equal(Buffer.from(encode({ n: 'f', a: undefined, t: 1 })).toString('hex'), '82a16ea166a17401');
  const long = 'ü'.repeat(40_000);
  assert.equal(decode(encode(long)), long);
});

test('decoding short strings: every ASCII byte at the lengths of the fast paths, and short invalid UTF-8 refused', () => {
  for (let b = 0; b < 0x80; b++) {
    for (const n of [1, 2, 3, 64, 65]) {
      const s = String.fromCharCode(b).repeat(n);
      assert.equal(decode(encode(s)), s);
    }
    assert.equal(decode(encode(`${String.fromCharCode(b)}é`)), `${String.fromCharCode(b)}é`);
  }
  // a lone continuation byte, an overlong '/', and 0xff: refused whatever the length
  for (const bad of ['a1ff', 'a2c0af', 'a261ff', 'a3616280']) {
    assert.throws(() => decode(Buffer.from(bad, 'hex')), MsgpackError, bad);
  }
});

test('a map key "__proto__" stays an own property: no prototype set, duplicates refused', () => {
  // {"__proto__": {"polluted": 1}, "n": "f"}
  const bytes = Buffer.from('82a95f5f70726f746f5f5f81a8706f6c6c7574656401a16ea166', 'hex');
  const v = decode(bytes) as Record<string, unknown>;
  assert.ok(Object.hasOwn(v, '__proto__'));
  assert.deepEqual(Object.keys(v), ['__proto__', 'n']);
  assert.equal((v as { polluted?: unknown }).polluted, undefined);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Buffer.from(encode(v as never)), bytes);
  assert.throws(() => decode(Buffer.from('82a95f5f70726f746f5f5f01a95f5f70726f746f5f5f02', 'hex')), /duplicate map key __proto__/);
});
