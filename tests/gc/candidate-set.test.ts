// The collector's candidate set and compaction's move list against plain reference
// computations: lookups through the first-level table find exactly the digests added
// (prefixes shared by several, slot edges, sets of every size), and the move list's digest
// order is a permutation sorted by the first 24 bits.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CandidateSet } from '../../daemon/src/gc/candidate-set.js';
import { MoveList } from '../../daemon/src/gc/move-list.js';

/** Digests that crowd a few table slots and share 64-bit prefixes (the cases a lookup trips on). */
const digestArb = fc.tuple(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff), fc.uint8Array({ minLength: 31, maxLength: 31 }), fc.boolean())
  .map(([first, rest, crowd]) => {
    const d = Buffer.alloc(32);
    d[0] = first;
    rest.forEach((b, i) => (d[i + 1] = crowd && i < 7 ? b & 1 : b));
    return d;
  });

const sorted = (ds: Buffer[]): Buffer[] => [...new Map(ds.map((d) => [d.toString('hex'), d])).values()].sort(Buffer.compare);
const prefix = (d: Buffer): string => d.subarray(0, 8).toString('hex');

test('candidate set: indexOf finds every digest added, by its first id with that prefix, and no other', () => {
  fc.assert(fc.property(fc.array(digestArb, { maxLength: 600 }), fc.array(digestArb, { maxLength: 50 }), (added, probes) => {
    const ds = sorted(added);
    const set = new CandidateSet();
    for (const d of ds) set.add(d);
    set.seal();
    assert.equal(set.size, ds.length);
    for (const d of [...ds, ...probes]) {
      const first = ds.findIndex((x) => prefix(x) === prefix(d));
      assert.equal(set.indexOf(d), first, d.toString('hex'));
    }
  }), { numRuns: 200 });
});

test('candidate set: marking one of several digests sharing a prefix marks all of them, and flags them ambiguous', () => {
  const a = Buffer.alloc(32, 0x11);
  const b = Buffer.from(a);
  b[31] = 0x12;
  const c = Buffer.alloc(32, 0x22);
  const set = new CandidateSet();
  for (const d of [a, b, c]) set.add(d);
  set.seal();
  assert.equal(set.isAmbiguous(0), true);
  assert.equal(set.isAmbiguous(2), false);
  assert.equal(set.mark(set.indexOf(b)), true);
  assert.equal(set.isMarkedDigest(a), true);
  assert.equal(set.isMarkedDigest(c), false);
  assert.equal(set.markedCount, 2);
});

test('move list: byDigest is a permutation ordered by the first 24 bits; fields read back as written', () => {
  fc.assert(fc.property(fc.array(fc.tuple(digestArb, fc.nat(), fc.nat(), fc.nat(), fc.nat()), { maxLength: 9000 }), (moves) => {
    const list = new MoveList();
    for (const [d, fs, fo, ts, to] of moves) list.placed(list.push(d, fs, fo), ts, to);
    assert.equal(list.length, moves.length);
    const order = list.byDigest();
    assert.deepEqual([...order].sort((x, y) => x - y), moves.map((_, i) => i));
    for (let k = 1; k < order.length; k++) {
      const [p, q] = [list.digest(order[k - 1] as number), list.digest(order[k] as number)];
      assert.ok(Buffer.compare(p.subarray(0, 3), q.subarray(0, 3)) <= 0);
    }
    moves.forEach(([d, fs, fo, ts, to], i) => {
      assert.deepEqual([list.digest(i), list.fromSegment(i), list.fromOffset(i), list.toSegment(i), list.toOffset(i)], [d, fs, fo, ts, to]);
    });
    list.clear();
    assert.equal(list.length, 0);
  }), { numRuns: 40 });
});
