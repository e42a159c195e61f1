// Arbitraries shared by the fuzz properties.

import fc from 'fast-check';
import type { MsgMap, MsgValue } from '../../core/src/objects/msgpack.js';

/** Maps built without a prototype, keys in the order given (as the decoder builds them). */
function mapOf(pairs: Array<[string, MsgValue]>): MsgMap {
  const m = Object.create(null) as MsgMap;
  for (const [k, v] of pairs) m[k] = v;
  return m;
}

const keyArb = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', '0', '1', 'v'));

export const msgValueArb: fc.Arbitrary<MsgValue> = fc.letrec<{ value: MsgValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('value'), { maxLength: 20 }),
    fc.uniqueArray(fc.tuple(keyArb, tie('value')), { maxLength: 8, selector: ([k]) => k }).map(mapOf),
  ),
})).value;
