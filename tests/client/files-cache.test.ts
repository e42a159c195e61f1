// The client's files cache (client/src/backup/files-cache.ts): what a run recorded is found by
// the next, a changed lstat misses, and a run that met far fewer files than the cache holds
// drops the ones it did not meet (files deleted since) and keeps the ones it did.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FilesCache, type FileIdentity } from '../../client/src/backup/files-cache.js';
import { tempDir } from '../helpers/tmp.js';

function identity(i: number): FileIdentity {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(7, 4); // device
  key.writeUInt32BE(i, 12); // inode
  return { key, size: 1000 + i, mtimeNs: 1_700_000_000_000_000_000n + BigInt(i), ctimeNs: 1_700_000_000_000_000_001n + BigInt(i) };
}

const digestOf = (i: number): Buffer => Buffer.alloc(32, i % 251);

test('a second run finds what the first recorded; a changed lstat misses', async (t) => {
  const dir = tempDir(t);
  const first = FilesCache.open(dir);
  assert.ok(first.empty);
  for (let i = 0; i < 10; i++) first.record(identity(i), { data: [digestOf(i), digestOf(i + 1)] });
  await first.save();
  await first.close();

  const second = FilesCache.open(dir);
  t.after(() => second.close());
  const hit = second.lookup(identity(3));
  assert.deepEqual(hit?.data?.map((d) => Buffer.from(d)), [digestOf(3), digestOf(4)]);
  assert.equal(second.lookup({ ...identity(4), mtimeNs: identity(4).mtimeNs + 1n }), null, 'a new mtime is a miss');
  assert.equal(second.lookup(identity(99)), null);
});

test('a run that met few of the cached files drops the others, keeps those it met', async (t) => {
  const dir = tempDir(t);
  const first = FilesCache.open(dir);
  // more keys than the first packed allocation of met keys holds (4096): it must grow
  for (let i = 0; i < 5000; i++) first.record(identity(i), { data: [digestOf(i)] });
  await first.save();
  await first.close();

  const second = FilesCache.open(dir);
  for (let i = 0; i < 200; i++) assert.ok(second.lookup(identity(i * 7)), `file ${i * 7} is cached`);
  for (let i = 6000; i < 6010; i++) second.record(identity(i), { data: [digestOf(i)] });
  await second.save(); // 5000 cached against 210 met: the unmet are dropped
  await second.close();

  const third = FilesCache.open(dir);
  t.after(() => third.close());
  for (let i = 0; i < 200; i++) assert.ok(third.lookup(identity(i * 7)), `file ${i * 7} met by the second run is kept`);
  for (let i = 6000; i < 6010; i++) assert.ok(third.lookup(identity(i)), `file ${i} recorded by the second run is kept`);
  assert.equal(third.lookup(identity(1)), null, 'a file the second run did not meet is dropped');
  assert.equal(third.lookup(identity(4999)), null);
});

test('records across many packed pieces, one larger than a piece, xattrs, and a key recorded twice all come back', async (t) => {
  const dir = tempDir(t);
  const first = FilesCache.open(dir);
  // ~60 bytes to ~700 bytes apiece: 30000 records fill the 1 MiB pieces many times over
  const digestsOf = (i: number): Buffer[] => Array.from({ length: 1 + (i % 20) }, (_, k) => digestOf(i + k));
  const xattrsOf = (i: number): Array<[string, Uint8Array]> => [['user.n', Buffer.from(String(i))], ['user.é', Buffer.alloc(i % 40, 1)]];
  for (let i = 0; i < 30000; i++) first.record(identity(i), i % 3 === 0 ? { data: digestsOf(i), xattrs: xattrsOf(i) } : { data: digestsOf(i) });
  const huge = Array.from({ length: 40000 }, (_, k) => digestOf(k)); // 1.25 MiB of digests: a piece of its own
  first.record(identity(40000), { data: huge });
  first.record(identity(5), { list: digestOf(99) }); // recorded again: the later record wins
  await first.save();
  await first.close();

  const second = FilesCache.open(dir);
  t.after(() => second.close());
  for (let i = 0; i < 30000; i += 7) {
    if (i === 5) continue;
    const hit = second.lookup(identity(i));
    assert.deepEqual(hit?.data?.map((d) => Buffer.from(d)), digestsOf(i), `file ${i}`);
    assert.deepEqual(hit?.xattrs?.map(([k, v]) => [k, Buffer.from(v)]), i % 3 === 0 ? xattrsOf(i).map(([k, v]) => [k, Buffer.from(v)]) : undefined, `file ${i}'s xattrs`);
  }
  assert.equal(second.lookup(identity(40000))?.data?.length, 40000);
  assert.deepEqual(Buffer.from(second.lookup(identity(5))?.list ?? []), digestOf(99));
  assert.equal(second.lookup(identity(29999))?.data?.length, 1 + (29999 % 20), 'the last record of the last ordinary piece');
});
