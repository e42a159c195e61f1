// The canonical msgpack decoder under arbitrary and damaged input: it answers with a value
// or a MsgpackError (which every object reader turns into OBJECT_UNDECODABLE), ends quickly,
// never allocates what a length field claims beyond the input, and decode(encode(x)) = x.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeOrThrow } from '../../core/src/objects/undecodable.js';
import { MsgpackError, decode, encode, type MsgValue } from '../../core/src/objects/msgpack.js';
import { msgValueArb } from './arbitraries.js';
import { bounded, classOutcome, fuzzParams, mutate, mutationsArb, testTimeout, typedOutcome } from './runs.js';

/** The value as the decoder gives it back: safe integers as numbers, maps as [key, value] lists. */
function canonical(v: MsgValue | undefined): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v instanceof Uint8Array) return { bin: [...v] };
  if (Array.isArray(v)) return v.map(canonical);
  if (typeof v === 'object' && v !== null) return Object.keys(v).filter((k) => v[k] !== undefined).map((k) => [k, canonical(v[k])]);
  return v;
}

/** Length headers that claim up to 4 GiB: the decoder must refuse them from the input's size. */
const hugeHeaderArb = fc.tuple(
  fc.constantFrom(0xc6, 0xdb, 0xdd, 0xdf, 0xc5, 0xda, 0xdc, 0xde),
  fc.uint8Array({ minLength: 4, maxLength: 4 }),
  fc.uint8Array({ maxLength: 64 }),
).map(([type, len, rest]) => Uint8Array.from([type, ...len, ...rest]));

test('msgpack fuzz: decode(encode(x)) = x, and encodings are canonical', { timeout: testTimeout() }, () => {
  fc.assert(fc.property(msgValueArb, (x) => {
    const bytes = bounded('encode', () => encode(x));
    const back = bounded('decode', () => decode(bytes));
    assert.deepEqual(canonical(back), canonical(x));
    assert.deepEqual(encode(back), bytes, 'the decoded value encodes to the same bytes');
  }), fuzzParams());
});

test('msgpack fuzz: arbitrary bytes decode or fail with MsgpackError only', { timeout: testTimeout() }, () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), hugeHeaderArb), (bytes) => {
    const out = bounded('decode', () => classOutcome(MsgpackError, () => decode(bytes)));
    if ('value' in out) assert.deepEqual(canonical(decode(encode(out.value))), canonical(out.value));
  }), fuzzParams());
});

test('msgpack fuzz: mutated encodings yield MsgpackError or a value that re-encodes consistently', { timeout: testTimeout() }, () => {
  fc.assert(fc.property(msgValueArb, mutationsArb, (x, mutations) => {
    const damaged = mutate(encode(x), mutations);
    const out = bounded('decode', () => classOutcome(MsgpackError, () => decode(damaged)));
    if ('value' in out) {
      const again = encode(out.value);
      assert.deepEqual(canonical(decode(again)), canonical(out.value));
    }
    // What every object reader does with it: the typed OBJECT_UNDECODABLE, nothing else.
    typedOutcome(['OBJECT_UNDECODABLE'], () => decodeOrThrow(new Uint8Array(32), 'tree', () => decode(damaged)));
  }), fuzzParams());
});

test('msgpack fuzz: a length beyond the input is refused before anything is allocated', { timeout: testTimeout() }, () => {
  fc.assert(fc.property(fc.constantFrom(0xc6, 0xdb, 0xdd, 0xdf), fc.integer({ min: 1 << 20, max: 0xffffffff }), fc.uint8Array({ maxLength: 64 }), (type, length, rest) => {
    const bytes = Uint8Array.from([type, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, ...rest]);
    const before = process.memoryUsage().arrayBuffers;
    const out = bounded('decode', () => classOutcome(MsgpackError, () => decode(bytes)));
    assert.ok('error' in out, 'a length of a MiB or more cannot be satisfied by 64 bytes');
    // a claimed length that was allocated would show as that many more bytes of buffers
    assert.ok(process.memoryUsage().arrayBuffers - before < length / 2, 'nothing of the claimed size was allocated');
  }), fuzzParams());
});
