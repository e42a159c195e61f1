import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { HavenError } from '../../core/src/errors.js';
import { sha256 } from '../../core/src/objects/digest.js';
import { FrameParser, encodeFrameHeader, type ObjectHeader } from '../../core/src/objects/frame.js';
import { CLIENT_KINDS, Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { buildListObjects, decodeList } from '../../core/src/objects/list.js';
import { MsgpackError, decode, encode, type MsgMap } from '../../core/src/objects/msgpack.js';
import { decodeSnapshot, encodeSnapshot } from '../../core/src/objects/snapshot.js';
import { buildTreeObjects, decodeTree, encodeTree, sortEntries, type TreeEntry } from '../../core/src/objects/tree.js';

test('msgpack: shortest integers, bigints above 2^53 exact, strict decoding', () => {
  assert.deepEqual([...encode(5)], [5]);
  assert.deepEqual([...encode(-1)], [0xff]);
  assert.deepEqual([...encode(200)], [0xcc, 200]);
  assert.deepEqual(encode(300), encode(300n), 'number and bigint encode the same');
  const big = 1_700_000_000_123_456_789n;
  assert.equal(decode(encode(big)), big);
  assert.equal(decode(encode(-(2n ** 62n))), -(2n ** 62n));
  assert.equal(decode(encode(2 ** 40)), 2 ** 40);
  assert.deepEqual({ ...(decode(encode({ a: 1, b: [true, null, 'x', new Uint8Array([1, 2])] })) as object) }, { a: 1, b: [true, null, 'x', new Uint8Array([1, 2])] });
  assert.throws(() => encode(1.5), RangeError);
  assert.throws(() => decode(new Uint8Array([0x92, 1])), MsgpackError, 'truncated array');
  assert.throws(() => decode(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])), MsgpackError, 'length beyond input');
  assert.throws(() => decode(new Uint8Array([1, 2])), MsgpackError, 'trailing bytes');
  assert.throws(() => decode(new Uint8Array([0x82, 0xa1, 0x61, 1, 0xa1, 0x61, 2])), MsgpackError, 'duplicate key');
  assert.throws(() => decode(new Uint8Array([0xa2, 0xc3, 0x28])), MsgpackError, 'invalid UTF-8');
  let deep = new Uint8Array([1]);
  for (let i = 0; i < 100; i++) deep = new Uint8Array([0x91, ...deep]);
  assert.throws(() => decode(deep), MsgpackError, 'nesting bound');
});

function entry(name: string, extra: Partial<TreeEntry> = {}): TreeEntry {
  return { name, type: 'file', mode: 0o640, uid: 1, gid: 2, mtimeNs: 1_700_000_000_999_999_999n, ctimeNs: 5n, size: 0, ...extra };
}

test('msgpack and tree names: a string that begins with U+FEFF keeps it', () => {
  // tests/fuzz/codecs found a snapshot path "\uFEFF" coming back as "": the decoder dropped a
  // leading byte order mark, so a file so named would have been restored under another name.
  for (const s of ['\uFEFF', '\uFEFFname', 'a\uFEFF', '\uFEFF\uFEFF']) assert.equal(decode(encode(s)), s, JSON.stringify(s));
  const back = decodeTree(encodeTree({ entries: [entry('\uFEFFfile')] }));
  assert.ok('entries' in back);
  assert.equal(back.entries[0]!.name, '\uFEFFfile');
});

test('trees: deterministic, every field round-trips, hostile names and orders refused', () => {
  const entries = sortEntries([
    entry('b', { data: [randomBytes(32)], size: 10, hardlink: 3, xattrs: [['user.k', new Uint8Array([0, 1, 2])]] }),
    entry('a', { type: 'symlink', target: '../x' }),
    entry('dev', { type: 'chardev', rdev: 0x0103 }),
    entry('z', { type: 'dir', subtree: randomBytes(32), mode: 0o1777 }),
    entry('\uFFFD\uFFFD', { rawName: new Uint8Array([0xff, 0xfe]) }),
  ]);
  const bytes = encodeTree({ entries });
  assert.deepEqual(encodeTree({ entries: sortEntries([...entries].reverse()) }), bytes, 'same entries, same bytes');
  const back = decodeTree(bytes);
  assert.ok('entries' in back);
  assert.deepEqual(back.entries.map((e) => ({ ...e })), entries.map((e) => ({ ...e, ...(e.data ? { data: e.data.map((d) => new Uint8Array(d)) } : {}), ...(e.subtree ? { subtree: new Uint8Array(e.subtree) } : {}) })));
  for (const bad of ['', '.', '..', 'a/b', 'nul\0']) {
    assert.throws(() => decodeTree(encodeTree({ entries: [entry(bad)] })), MsgpackError, JSON.stringify(bad));
  }
  assert.throws(() => decodeTree(encodeTree({ entries: [entry('b'), entry('a')] })), /sorted/);
  assert.throws(() => decodeTree(encodeTree({ entries: [entry('a'), entry('a')] })), /sorted/);
  assert.throws(() => decodeTree(encodeTree({ entries: [entry('d', { type: 'dir' })] })), /subtree/);
});

test('tree names: ASCII checked and ordered as strings, the rest as UTF-8 bytes, with the same outcome', () => {
  const names = ['a', 'B', 'z', '~', 'é', 'ä', 'zz', '\u{1F600}', '\uFFFD', '\uE000', 'a\u{1F600}', 'a\uE000', 'a\u0080', 'a\u007f', ' '];
  const byBytes = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.deepEqual(sortEntries(names.map((n) => entry(n))).map((e) => e.name), byBytes);
  const decoded = decodeTree(encodeTree({ entries: sortEntries(names.map((n) => entry(n))) }));
  assert.ok('entries' in decoded);
  assert.deepEqual(decoded.entries.map((e) => e.name), byBytes);
  // UTF-16 units put U+1F600 (a surrogate pair) before U+E000; UTF-8 bytes, the format's order, do not
  assert.throws(() => decodeTree(encodeTree({ entries: [entry('a\u{1F600}'), entry('a\uE000')] })), /sorted/);
  assert.doesNotThrow(() => decodeTree(encodeTree({ entries: [entry('a\uE000'), entry('a\u{1F600}')] })));
  assert.doesNotThrow(() => decodeTree(encodeTree({ entries: [entry('x'.repeat(4096))] })));
  assert.throws(() => decodeTree(encodeTree({ entries: [entry('x'.repeat(4097))] })), MsgpackError);
  assert.throws(() => decodeTree(encodeTree({ entries: [entry('é'.repeat(2049))] })), MsgpackError, '4098 bytes in 2049 characters');
});

test('huge directories split into parts at content-defined boundaries', () => {
  const many = sortEntries(Array.from({ length: 40_000 }, (_, i) => entry(`file-${i}`)));
  const objects = buildTreeObjects(many);
  assert.ok(objects.length > 3);
  const top = decodeTree(objects[objects.length - 1] as Uint8Array);
  assert.ok('parts' in top);
  assert.deepEqual(top.parts.map((p) => Buffer.from(p)), objects.slice(0, -1).map((o) => sha256(o)));
  const rejoined = objects.slice(0, -1).flatMap((o) => (decodeTree(o) as { entries: TreeEntry[] }).entries);
  assert.deepEqual(rejoined.map((e) => e.name), many.map((e) => e.name));
  // inserting one entry rewrites a part or two, not the listing
  const more = sortEntries([...many, entry('file-20000x')]);
  const again = new Set(buildTreeObjects(more).map((o) => sha256(o).toString('hex')));
  const unchanged = objects.slice(0, -1).filter((o) => again.has(sha256(o).toString('hex'))).length;
  assert.ok(unchanged >= objects.length - 3, `${unchanged} of ${objects.length - 1} parts unchanged`);
});

test('lists nest to keep every object bounded; snapshots round-trip', () => {
  const chunks = Array.from({ length: 70_000 }, () => randomBytes(32));
  const lists = buildListObjects(chunks);
  assert.equal(lists.length, 3);
  const top = decodeList(lists[2] as Uint8Array);
  assert.equal(top.level, 1);
  assert.deepEqual(top.items.map((i) => Buffer.from(i)), [sha256(lists[0] as Uint8Array), sha256(lists[1] as Uint8Array)]);
  assert.equal(decodeList(lists[0] as Uint8Array).items.length, 65536);
  const snap = { group: 'g', time: 1, host: 'h', paths: ['/a'], tags: ['t'], root: randomBytes(32), session: 's', stats: { b: 2, a: 1 } };
  const enc = encodeSnapshot(snap);
  assert.deepEqual(encodeSnapshot({ ...snap, stats: { a: 1, b: 2 } }), enc, 'stats order does not matter');
  const back = decodeSnapshot(enc);
  assert.deepEqual({ ...back, root: Buffer.from(back.root) }, snap);
  // warnings: kept when there are some; none leaves the record byte for byte as it was before them
  assert.deepEqual(encodeSnapshot({ ...snap, warnings: [] }), enc);
  const warned = { ...snap, warnings: ['a: EACCES permission denied', 'b: changed while it was read'] };
  const withWarnings = decodeSnapshot(encodeSnapshot(warned));
  assert.deepEqual({ ...withWarnings, root: Buffer.from(withWarnings.root) }, warned);
  assert.throws(() => decodeSnapshot(encode({ ...decode(enc) as MsgMap, warnings: [1] })), /warnings\[0\]/);
});

test('frame parser: any chunking of the stream yields the same frames; bad headers are typed errors', () => {
  const payloads = [randomBytes(0), randomBytes(1), randomBytes(70_000), randomBytes(48)];
  const stream = Buffer.concat(payloads.flatMap((p) => [encodeFrameHeader({ kind: ObjectKind.data, codec: Codec.none, rawLength: p.length, storedLength: p.length, digest: sha256(p) }), p]));
  for (const step of [1, 7, 48, 4096, stream.length]) {
    const got: Buffer[] = [];
    const parser = new FrameParser({ begin: (h: ObjectHeader) => Buffer.alloc(h.storedLength), end: (_h, p) => got.push(Buffer.from(p)) }, { maxStored: 1 << 20, allowedKinds: CLIENT_KINDS });
    for (let i = 0; i < stream.length; i += step) parser.push(stream.subarray(i, i + step));
    parser.finish();
    assert.deepEqual(got, payloads);
  }
  const parse = (buf: Buffer, maxStored = 1 << 20): void => {
    const p = new FrameParser({ begin: (h) => Buffer.alloc(h.storedLength), end: () => undefined }, { maxStored, allowedKinds: CLIENT_KINDS });
    p.push(buf);
    p.finish();
  };
  const code = (fn: () => void): string => {
    try {
      fn();
    } catch (err) {
      return (err as HavenError).code;
    }
    return 'none';
  };
  const header = encodeFrameHeader({ kind: ObjectKind.data, codec: Codec.none, rawLength: 10, storedLength: 10, digest: randomBytes(32) });
  assert.equal(code(() => parse(Buffer.concat([header, randomBytes(5)]))), 'FRAME_TORN');
  assert.equal(code(() => parse(Buffer.concat([header, randomBytes(10)]), 5)), 'FRAME_TOO_LARGE');
  const badMagic = Buffer.from(header);
  badMagic[0] = 0;
  assert.equal(code(() => parse(badMagic)), 'FRAME_MALFORMED');
  const lying = Buffer.from(header);
  lying.writeUInt32BE(11, 8); // raw 11 but stored 10 with codec none
  assert.equal(code(() => parse(lying)), 'FRAME_MALFORMED');
});
