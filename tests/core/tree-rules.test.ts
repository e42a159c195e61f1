// What the tree decoder and the split-directory join refuse, whoever wrote the tree: a
// name repeated (or out of order) across the parts of a split directory, a part that is
// itself split or empty, more inline chunk digests than the format allows, and a display
// name or link target that is not the rendering of the raw bytes stored beside it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MsgpackError, encode } from '../../core/src/objects/msgpack.js';
import { joinParts } from '../../core/src/objects/split-tree.js';
import { MAX_INLINE_CHUNKS, buildTreeObjects, decodeTree, encodeTree, sortEntries, type TreeEntry } from '../../core/src/objects/tree.js';

function entry(name: string, extra: Partial<TreeEntry> = {}): TreeEntry {
  return { name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1n, ctimeNs: 1n, size: 0, ...extra };
}

const part = (...names: string[]) => ({ entries: names.map((n) => entry(n)) });

test('split directories join into one namespace or are refused', () => {
  assert.deepEqual(joinParts([part('a', 'b'), part('c'), part('d', 'e')]).map((e) => e.name), ['a', 'b', 'c', 'd', 'e']);
  assert.throws(() => joinParts([part('a', 'esc'), part('esc', 'z')]), /not unique and ordered across the parts/);
  assert.throws(() => joinParts([part('m', 'n'), part('a')]), /not unique and ordered across the parts/, 'out of order across parts');
  assert.throws(() => joinParts([part('a'), { entries: [] }]), /empty/);
  assert.throws(() => joinParts([part('a'), { parts: [new Uint8Array(32)] }]), /itself split/);
  // byte order, not string order, across the seam (U+E000 sorts before U+1F600 in UTF-8)
  assert.throws(() => joinParts([part('a\u{1F600}'), part('a\uE000')]), MsgpackError);
  assert.doesNotThrow(() => joinParts([part('a\uE000'), part('a\u{1F600}')]));
});

test('what buildTreeObjects splits joins back to the same entries', () => {
  const entries = sortEntries(Array.from({ length: 40_000 }, (_, i) => entry(`file-${i}`)));
  const objects = buildTreeObjects(entries);
  assert.ok(objects.length > 2, 'split');
  const joined = joinParts(objects.slice(0, -1).map((o) => decodeTree(o)));
  assert.deepEqual(joined.map((e) => e.name), entries.map((e) => e.name));
});

test('the decoder enforces the inline chunk limit', () => {
  const digests = (n: number) => Array.from({ length: n }, () => new Uint8Array(32));
  assert.doesNotThrow(() => decodeTree(encodeTree({ entries: [entry('f', { data: digests(MAX_INLINE_CHUNKS) })] })));
  assert.throws(() => decodeTree(encodeTree({ entries: [entry('f', { data: digests(MAX_INLINE_CHUNKS + 1) })] })), /inline chunks/);
  assert.throws(() => decodeTree(encodeTree({ entries: [entry('f', { data: digests(100) })] })), MsgpackError);
});

test('a display name must be the rendering of the raw name bytes, a display target of the raw target', () => {
  const raw = new Uint8Array([0x61, 0xff, 0x62]); // "a", an invalid byte, "b"
  assert.doesNotThrow(() => decodeTree(encodeTree({ entries: [entry('a\uFFFDb', { rawName: raw })] })));
  assert.throws(() => decodeTree(encodeTree({ entries: [entry('passwd', { rawName: raw })] })), /display name does not match/);
  const link = (target: string | undefined, rawTarget: Uint8Array) => entry('l', { type: 'symlink', target, rawTarget });
  assert.doesNotThrow(() => decodeTree(encodeTree({ entries: [link('a\uFFFDb', raw)] })));
  assert.throws(() => decodeTree(encodeTree({ entries: [link('/harmless', raw)] })), /display target does not match/);
  // raw bytes without any display form are refused too
  assert.throws(() => decodeTree(encode({ v: 1, e: [{ n: 'l', t: 3, m: 0o777, u: 0, g: 0, mt: 1n, ct: 1n, s: 0, lb: raw }] })), /display target/);
});
