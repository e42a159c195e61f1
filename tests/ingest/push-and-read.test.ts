import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser } from '../../core/src/objects/frame.js';
import { ALL_KINDS_FOR_READ } from '../helpers/kinds.js';
import { Zstd } from '../../core/src/compress/zstd.js';
import { sha256, toHex } from '../../core/src/objects/digest.js';
import { Codec } from '../../core/src/objects/kinds.js';
import { readAll } from '../../client/src/api/api-client.js';
import { createToken, startDaemon } from '../helpers/daemon.js';
import { framesOf, sampleBackup } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';

test('push objects, commit, list and read back bit-exact; a second session uploads nothing', async (t) => {
  const dataDir = tempDir(t);
  const token = createToken(dataDir, 'backup:laptop');
  const d = await startDaemon(t, { dataDir });
  const api = d.client(token);

  const backup = sampleBackup(40, 20_000, true);
  const extra = sampleBackup(3, 300_000);
  const objects = [...extra.data, ...backup.objects];

  const s1 = await api.startBackup({ group: 'laptop', paths: ['/home'], tags: ['daily'] });
  assert.equal(s1.previous, null);
  assert.equal(s1.chunker.avgSize, 1024 * 1024);
  const digests = Buffer.concat(objects.map((o) => o.digest));
  const before = await api.has(s1.session, digests);
  assert.ok(before.every((b) => b === 0), 'a fresh datastore has nothing');

  // two parallel streams
  const half = Math.floor(objects.length / 2);
  const [a, b] = await Promise.all([
    api.uploadFrames(s1.session, framesOf(objects.slice(0, half))),
    api.uploadFrames(s1.session, framesOf(objects.slice(half))),
  ]);
  assert.equal(a.objectsNew + b.objectsNew, objects.length);
  const committed = await api.commit(s1.session, { root: toHex(backup.root.digest), stats: { files: 40 } });
  assert.equal(committed.snapshot.group, 'laptop');
  assert.deepEqual(committed.snapshot.paths, ['/home']);
  assert.equal(committed.session.state, 'committed');
  assert.equal(committed.session.stats.objectsNew, objects.length);

  const groups = await api.groups();
  assert.equal(groups.groups.length, 1);
  assert.equal(groups.groups[0]?.latest?.id, committed.snapshot.id);
  const list = await api.snapshots('laptop');
  assert.deepEqual(list.snapshots.map((s) => s.id), [committed.snapshot.id]);
  assert.equal((await api.snapshot(committed.snapshot.id.slice(0, 8))).id, committed.snapshot.id);

  // read back: single objects (decompressed) and a frame stream (as stored)
  for (const o of [backup.root, ...backup.data.slice(0, 5)]) {
    const raw = await api.object(committed.snapshot.id, toHex(o.digest));
    assert.ok(raw.equals(o.raw));
  }
  const res = await api.objects(committed.snapshot.id, digests);
  const zstd = new Zstd();
  const got: Buffer[] = [];
  const parser = new FrameParser(
    {
      begin: (h) => Buffer.alloc(h.storedLength),
      end: (h, payload) => got.push(h.codec === Codec.zstd ? zstd.decompress(payload, h.rawLength) : Buffer.from(payload)),
    },
    { maxStored: 16 << 20, allowedKinds: ALL_KINDS_FOR_READ },
  );
  for (const chunk of [await readAll(res)]) parser.push(chunk);
  parser.finish();
  // frames come in storage order, not request order: every object exactly once
  assert.equal(got.length, objects.length);
  assert.deepEqual(got.map((raw) => toHex(sha256(raw))).sort(), objects.map((o) => toHex(o.digest)).sort());

  // a file's content through the tree
  const content = await readAll(await api.content(committed.snapshot.id, '/dir/file-7'));
  assert.ok(content.equals(backup.data[7]?.raw as Buffer));

  // second session with the same data: every has answer is "present", nothing to upload
  const s2 = await api.startBackup({ group: 'laptop' });
  assert.equal(s2.previous?.id, committed.snapshot.id);
  const bitmap = await api.has(s2.session, digests);
  for (let i = 0; i < objects.length; i++) assert.ok(((bitmap[i >> 3] as number) >> (i & 7)) & 1, `object ${i} present`);
  const c2 = await api.commit(s2.session, { root: toHex(backup.root.digest) });
  assert.equal(c2.session.stats.bytesReceived, 0);
  assert.equal(c2.session.stats.hasPresent, objects.length);
  assert.equal(c2.snapshot.parent, committed.snapshot.id);
  assert.equal((await api.snapshots('laptop')).snapshots.length, 2);
});
