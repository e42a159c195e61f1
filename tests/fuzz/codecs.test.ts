// The object codecs (tree, split tree, list, snapshot, tombstone, protection) under valid,
// arbitrary and damaged encodings: decode(encode(x)) = x; anything else is a MsgpackError
// (OBJECT_UNDECODABLE at every reader) or a value that re-encodes to what decodes the same.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeOrThrow } from '../../core/src/objects/undecodable.js';
import { MsgpackError, encode } from '../../core/src/objects/msgpack.js';
import { decodeList, encodeList, type ListObject } from '../../core/src/objects/list.js';
import {
  decodeProtection, decodeSnapshot, decodeTombstone, encodeProtection, encodeSnapshot, encodeTombstone, type SnapshotRecord,
} from '../../core/src/objects/snapshot.js';
import { joinParts } from '../../core/src/objects/split-tree.js';
import { ENTRY_TYPES, compareNames, decodeTree, encodeTree, nameBytes, sortEntries, validName, type TreeEntry, type TreeObject } from '../../core/src/objects/tree.js';
import { msgValueArb } from './arbitraries.js';
import { bounded, classOutcome, fuzzParams, mutate, mutationsArb, testTimeout, typedOutcome } from './runs.js';

const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const nsArb = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

/** A valid name: a string without '/' or NUL (not '.' or '..'), or bytes that are not UTF-8 with their lossy rendering. */
const nameArb: fc.Arbitrary<Pick<TreeEntry, 'name' | 'rawName'>> = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 24 })
    .filter((s) => !s.includes('/') && !s.includes('\0') && s !== '.' && s !== '..')
    .map((name) => ({ name })),
  fc.uint8Array({ minLength: 1, maxLength: 24 })
    .map((b) => Uint8Array.from(b, (x) => (x === 0 || x === 0x2f ? 0x80 : x)))
    .filter((b) => validName(b) && Buffer.from(b).toString('utf8') !== '' && !isUtf8(b))
    .map((rawName) => ({ name: Buffer.from(rawName).toString('utf8'), rawName })),
);

function isUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

const entryArb: fc.Arbitrary<TreeEntry> = fc.record({
  n: nameArb,
  type: fc.constantFrom(...ENTRY_TYPES),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  uid: u32,
  gid: u32,
  mtimeNs: nsArb,
  ctimeNs: nsArb,
  size: fc.maxSafeNat(),
  rdev: fc.option(u32, { nil: undefined }),
  hardlink: fc.option(fc.nat(), { nil: undefined }),
  xattrs: fc.option(fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.uint8Array({ maxLength: 40 })), { maxLength: 3 }), { nil: undefined }),
  target: fc.option(fc.string({ unit: 'binary', maxLength: 30 }), { nil: undefined }),
  content: fc.oneof(fc.array(digestArb, { maxLength: 4 }).map((data) => ({ data })), digestArb.map((list) => ({ list }))),
  subtree: digestArb,
}).map((r): TreeEntry => {
  const e: TreeEntry = { ...r.n, type: r.type, mode: r.mode, uid: r.uid, gid: r.gid, mtimeNs: r.mtimeNs, ctimeNs: r.ctimeNs, size: r.size };
  if (r.rdev !== undefined) e.rdev = r.rdev;
  if (r.hardlink !== undefined) e.hardlink = r.hardlink;
  if (r.xattrs !== undefined) e.xattrs = r.xattrs;
  if (r.type === 'symlink' && r.target !== undefined) e.target = r.target;
  if (r.type === 'file') Object.assign(e, r.content);
  if (r.type === 'dir') e.subtree = r.subtree;
  return e;
});

/** Entries with unique names, sorted as the format requires. */
const entriesArb = fc.uniqueArray(entryArb, { maxLength: 12, selector: (e) => Buffer.from(nameBytes(e)).toString('latin1') }).map(sortEntries);
const treeArb: fc.Arbitrary<TreeObject> = fc.oneof(
  entriesArb.map((entries) => ({ entries })),
  fc.array(digestArb, { minLength: 1, maxLength: 8 }).map((parts) => ({ parts })),
);
const listArb: fc.Arbitrary<ListObject> = fc.record({ level: fc.integer({ min: 0, max: 4 }), items: fc.array(digestArb, { minLength: 1, maxLength: 40 }) });
const snapshotArb: fc.Arbitrary<SnapshotRecord> = fc.record({
  group: fc.string({ maxLength: 20 }),
  time: fc.maxSafeNat(),
  host: fc.string({ unit: 'binary', maxLength: 20 }),
  paths: fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { maxLength: 4 }),
  tags: fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }),
  root: digestArb,
  session: fc.string({ maxLength: 20 }),
  parent: fc.option(digestArb, { nil: undefined }),
  stats: fc.dictionary(fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__'), fc.maxSafeNat(), { maxKeys: 6 }),
}).map((s) => {
  if (s.parent === undefined) delete s.parent;
  return s;
});
const tombstoneArb = fc.record({ snapshot: digestArb, time: fc.maxSafeNat(), by: fc.string({ maxLength: 20 }) });
const protectionArb = fc.record({ snapshot: digestArb, protected: fc.boolean(), time: fc.maxSafeNat(), by: fc.string({ maxLength: 20 }) });

interface Codec<T> {
  name: string;
  arb: fc.Arbitrary<T>;
  encode(x: T): Uint8Array;
  decode(b: Uint8Array): T;
  /** Extra facts about any decoded value. */
  check?(x: T): void;
}

function checkTree(t: TreeObject): void {
  if ('parts' in t) return;
  t.entries.forEach((e, i) => {
    assert.ok(validName(nameBytes(e)), `decoded name ${JSON.stringify(e.name)} is a valid single component`);
    if (i > 0) assert.ok(compareNames(t.entries[i - 1] as TreeEntry, e) < 0, 'decoded names are strictly ordered');
  });
}

const codecs: Array<Codec<never>> = [
  { name: 'tree', arb: treeArb, encode: encodeTree, decode: decodeTree, check: checkTree },
  { name: 'list', arb: listArb, encode: encodeList, decode: decodeList },
  { name: 'snapshot', arb: snapshotArb, encode: encodeSnapshot, decode: decodeSnapshot },
  { name: 'tombstone', arb: tombstoneArb, encode: encodeTombstone, decode: decodeTombstone },
  { name: 'protection', arb: protectionArb, encode: encodeProtection, decode: decodeProtection },
] as unknown as Array<Codec<never>>;

/** Objects compared as plain data (Uint8Array vs Buffer, undefined optionals). */
function plain(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? { bin: [...v] } : v)));
}

for (const c of codecs) {
  test(`${c.name} codec fuzz: decode(encode(x)) = x`, { timeout: testTimeout() }, () => {
    fc.assert(fc.property(c.arb, (x) => {
      const bytes = bounded('encode', () => c.encode(x));
      const back = bounded('decode', () => c.decode(bytes));
      assert.deepEqual(plain(back), plain(x));
      assert.deepEqual(c.encode(back), bytes, 'deterministic: the decoded object encodes to the same bytes');
      c.check?.(back);
    }), fuzzParams());
  });

  test(`${c.name} codec fuzz: damaged encodings and other msgpack yield MsgpackError or a consistent object`, { timeout: testTimeout() }, () => {
    const inputs = fc.oneof(
      fc.tuple(c.arb, mutationsArb).map(([x, m]) => mutate(c.encode(x), m)),
      msgValueArb.map((v) => encode(v)),
      fc.uint8Array({ maxLength: 256 }),
    );
    fc.assert(fc.property(inputs, (bytes) => {
      const out = bounded('decode', () => classOutcome(MsgpackError, () => c.decode(bytes)));
      if ('value' in out) {
        c.check?.(out.value);
        const again = c.encode(out.value);
        assert.deepEqual(plain(c.decode(again)), plain(out.value), 'what decodes re-encodes to the same object');
      }
      typedOutcome(['OBJECT_UNDECODABLE'], () => decodeOrThrow(new Uint8Array(32), c.name, () => c.decode(bytes)));
    }), fuzzParams());
  });
}

test('split tree fuzz: joined parts are one namespace, or a MsgpackError', { timeout: testTimeout() }, () => {
  const partsArb = fc.array(fc.oneof({ weight: 4, arbitrary: entriesArb.map((entries): TreeObject => ({ entries })) }, fc.array(digestArb, { minLength: 1, maxLength: 2 }).map((parts): TreeObject => ({ parts }))), { maxLength: 5 });
  fc.assert(fc.property(partsArb, (parts) => {
    const out = bounded('join', () => classOutcome(MsgpackError, () => joinParts(parts)));
    if ('error' in out) return;
    const all = parts.flatMap((p) => ('entries' in p ? p.entries : []));
    assert.equal(out.value.length, all.length);
    checkTree({ entries: out.value });
  }), fuzzParams());
});
