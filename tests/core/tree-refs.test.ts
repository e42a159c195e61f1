// scanTreeRefs against decodeTree: on every tree decodeTree accepts (generated ones, split
// ones, and byte-level mutations of them) the lean scan succeeds and finds the references
// decodeTree finds; garbage collection marks through it, so a reference it missed would let a
// live object be reclaimed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toHex } from '../../core/src/objects/digest.js';
import { encode } from '../../core/src/objects/msgpack.js';
import { buildTreeObjects, decodeTree, sortEntries, treeReferences, type TreeEntry } from '../../core/src/objects/tree.js';
import { scanTreeRefs, scanTreeTotals } from '../../core/src/objects/tree-refs.js';

const RUNS = Number(process.env.HAVEN_FUZZ_RUNS ?? 300);

const digest = fc.uint8Array({ minLength: 32, maxLength: 32 });
const name = fc.string({ minLength: 1, maxLength: 12 }).filter((n) => n !== '.' && n !== '..' && !n.includes('/') && !n.includes('\0'));
const entry: fc.Arbitrary<TreeEntry> = fc.oneof(
  fc.record({ name, data: fc.array(digest, { maxLength: 5 }) }).map(({ name: n, data }) => ({
    name: n, type: 'file' as const, mode: 0o644, uid: 1000, gid: 1000, mtimeNs: 1_700_000_000_000_000_000n, ctimeNs: 5n, size: data.length * 100,
    ...(data.length > 0 ? { data } : {}),
  })),
  fc.record({ name, list: digest }).map(({ name: n, list }) => ({
    name: n, type: 'file' as const, mode: 0o600, uid: 0, gid: 0, mtimeNs: 1n, ctimeNs: 1n, size: 1 << 30, list,
  })),
  fc.record({ name, subtree: digest }).map(({ name: n, subtree }) => ({
    name: n, type: 'dir' as const, mode: 0o755, uid: 0, gid: 0, mtimeNs: 2n, ctimeNs: 2n, size: 0, subtree, xattrs: [['user.a', new Uint8Array([1, 2])]] as Array<[string, Uint8Array]>,
  })),
  name.map((n) => ({ name: n, type: 'symlink' as const, mode: 0o777, uid: 0, gid: 0, mtimeNs: 3n, ctimeNs: 3n, size: 0, target: '../x' })),
);
const entries = fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 40 }).map(sortEntries);

const refsOf = (refs: Uint8Array[]): string[] => refs.map(toHex).sort();
function scanned(bytes: Uint8Array): string[] {
  const r = scanTreeRefs(bytes);
  return refsOf([...(r.parts ?? []), ...r.data, ...r.lists, ...r.subtrees]);
}

test('tree refs: the references decodeTree finds, for generated trees', () => {
  fc.assert(fc.property(entries, (es) => {
    for (const bytes of buildTreeObjects(es)) assert.deepEqual(scanned(bytes), refsOf(treeReferences(decodeTree(bytes))));
  }), { numRuns: RUNS });
});

test('tree refs: a split directory (parts) and non-canonical integer forms of the version', () => {
  const many: TreeEntry[] = [];
  for (let i = 0; i < 20_000; i++) many.push({ name: `f${String(i).padStart(6, '0')}`, type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1n, ctimeNs: 1n, size: 0 });
  const objects = buildTreeObjects(many);
  assert.ok(objects.length > 2, 'split into parts');
  for (const bytes of objects) assert.deepEqual(scanned(bytes), refsOf(treeReferences(decodeTree(bytes))));
  // {v: 1, p: [...]} with the 1 written as uint8 0xcc 0x01 and as int64: decodeTree takes both
  const top = objects[objects.length - 1] as Uint8Array;
  const canonical = Buffer.from(top);
  const at = canonical.indexOf(Buffer.from([0xa1, 0x76, 0x01])) + 2;
  for (const form of [[0xcc, 0x01], [0xd3, 0, 0, 0, 0, 0, 0, 0, 1], [0xd0, 0x01]]) {
    const variant = Buffer.concat([canonical.subarray(0, at), Buffer.from(form), canonical.subarray(at + 1)]);
    assert.deepEqual(scanned(variant), refsOf(treeReferences(decodeTree(variant))));
  }
});

/**
 * Where decodeTree accepts `bytes`, the scan gives the same answer; where it refuses them, the
 * scan may refuse them or not, but must not crash another way.
 */
function agreesWhereDecodable<T>(bytes: Uint8Array, decoded: (b: Uint8Array) => T, scan: (b: Uint8Array) => T): void {
  let expected: T;
  try {
    expected = decoded(bytes);
  } catch {
    try { scan(bytes); } catch (err) { assert.equal((err as Error).constructor.name, 'MsgpackError'); }
    return;
  }
  assert.deepEqual(scan(bytes), expected);
}

test('tree refs: wherever decodeTree accepts a mutated tree, the scan accepts it and finds its references', () => {
  fc.assert(fc.property(entries, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (es, flips, cut) => {
    const [bytes] = buildTreeObjects(es);
    const mutated = Buffer.from(bytes as Uint8Array);
    for (const [i, b] of flips) mutated[i % mutated.length] = b;
    for (const candidate of [mutated, mutated.subarray(0, cut % (mutated.length + 1))]) {
      agreesWhereDecodable(candidate, (b) => refsOf(treeReferences(decodeTree(b))), scanned);
    }
  }), { numRuns: RUNS });
});

test('tree refs: an encoded non-tree is refused', () => {
  assert.throws(() => scanTreeRefs(encode({ v: 2, e: [] })), /version 1/);
  assert.throws(() => scanTreeRefs(encode([1, 2])), /version 1/);
  assert.throws(() => scanTreeRefs(encode({ v: 1 })), /expected an array/);
  assert.throws(() => scanTreeRefs(new Uint8Array([0x82, 0xa1])), /truncated/);
});

/** A tree's own totals as SnapshotSizes summed them from decoded entries before the scan. */
function decodedTotals(bytes: Uint8Array): { files: number; bytes: number; subtrees: string[]; parts: string[] | null } {
  const tree = decodeTree(bytes);
  if ('parts' in tree) return { files: 0, bytes: 0, subtrees: [], parts: tree.parts.map(toHex) };
  const out = { files: 0, bytes: 0, subtrees: [] as string[], parts: null };
  for (const e of tree.entries) {
    if (e.subtree) out.subtrees.push(toHex(e.subtree));
    else if (e.type === 'file') {
      out.files++;
      out.bytes += e.size;
    }
  }
  return out;
}

function scannedTotals(bytes: Uint8Array): ReturnType<typeof decodedTotals> {
  const t = scanTreeTotals(bytes);
  return { files: t.files, bytes: t.bytes, subtrees: t.subtrees.map(toHex), parts: t.parts?.map(toHex) ?? null };
}

test('tree totals: the files, bytes and subtrees decodeTree gives, for generated, split and mutated trees', () => {
  fc.assert(fc.property(entries, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (es, flips) => {
    for (const bytes of buildTreeObjects(es)) {
      assert.deepEqual(scannedTotals(bytes), decodedTotals(bytes));
      const mutated = Buffer.from(bytes);
      for (const [i, b] of flips) mutated[i % mutated.length] = b;
      agreesWhereDecodable(mutated, decodedTotals, scannedTotals);
    }
  }), { numRuns: RUNS });
});

test('tree totals: sizes in every integer form decodeTree takes, up to 2^53 - 1', () => {
  const file = (size: number): TreeEntry => ({ name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1n, ctimeNs: 1n, size });
  for (const size of [0, 1, 127, 128, 65_536, 2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
    const [bytes] = buildTreeObjects([file(size)]);
    assert.deepEqual(scannedTotals(bytes as Uint8Array), { files: 1, bytes: size, subtrees: [], parts: null });
  }
  // s: 5 written as int64 (0xd3): decodeTree takes it, and so does the scan
  const [canonical] = buildTreeObjects([file(5)]);
  const b = Buffer.from(canonical as Uint8Array);
  const at = b.indexOf(Buffer.from([0xa1, 0x73, 0x05])) + 2;
  const variant = Buffer.concat([b.subarray(0, at), Buffer.from([0xd3, 0, 0, 0, 0, 0, 0, 0, 5]), b.subarray(at + 1)]);
  assert.deepEqual(scannedTotals(variant), decodedTotals(variant));
  // 2^53 as uint64: refused by both
  const huge = Buffer.concat([b.subarray(0, at), Buffer.from([0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0]), b.subarray(at + 1)]);
  assert.throws(() => decodeTree(huge));
  assert.throws(() => scanTreeTotals(huge), /below 2\^53/);
});
